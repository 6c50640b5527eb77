"""Closing what the job opened, on every way the job can end.

The send step closes its transport when the stream ends, but a job can also end by a failing
step (the exception unwinds through Bytewax and no `on_eof` runs) or with the process's exit after
a graceful signal. So everything `flows.endpoints` makes that holds a client or a file (the
transport, the dead-letter file, the record-mode file) is opened through `PROCESS` and closed when
the interpreter exits, whichever way that happens. Every `close()` is idempotent, so a transport
closed by its step is simply closed once more.
"""

from __future__ import annotations

import atexit
import logging
import threading
from typing import Protocol, TypeVar

log = logging.getLogger(__name__)


class Closeable(Protocol):
    def open(self) -> None: ...

    def close(self) -> None: ...


C = TypeVar("C", bound=Closeable)


class Closer:
    """What the process opened, closed in the reverse order at `close_all` (once each)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: list[Closeable] = []
        self._at_exit = False

    def open(self, thing: C) -> C:
        """Open `thing` and keep it to close at the end; returns it."""
        thing.open()
        with self._lock:
            self._open.append(thing)
            if not self._at_exit and self is PROCESS:
                # Registered at the first use, so it runs before what the runtime registered
                # earlier (exit handlers run last-in first-out).
                atexit.register(self.close_all)
                self._at_exit = True
        return thing

    def close_all(self) -> None:
        """Close everything opened so far, newest first; a failing close is logged, and the
        others are still closed."""
        with self._lock:
            things, self._open = self._open[::-1], []
        for thing in things:
            try:
                thing.close()
            except Exception:
                log.exception("closing %r failed", thing)


#: The process's closer: `flows.pipeline` opens the job's transport and files through it.
PROCESS = Closer()
