"""The graceful-shutdown request, shared by the signal handler, the sources and the send path.

Bytewax alone aborts on SIGINT/SIGTERM (no end-of-stream, open batches lost; upstream issue
#268). So the job's own handler only sets this flag; the sources see it and end the stream; the
batching steps flush at end of stream; the send path drains for at most
`graceful_shutdown_timeout_ms` from the moment of the request and counts what is left in
`dropped_shutdown`.
"""

from __future__ import annotations

import threading
import time


class Shutdown:
    """A one-way flag with the time it was raised."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._requested_at: float | None = None

    def request(self) -> None:
        if not self._event.is_set():
            self._requested_at = time.monotonic()
            self._event.set()

    @property
    def requested(self) -> bool:
        return self._event.is_set()

    def deadline(self, timeout_s: float) -> float | None:
        """The monotonic time by which the drain must end, or None when no shutdown is asked
        (the end of a finite input drains everything, without a deadline)."""
        if self._requested_at is None:
            return None
        return self._requested_at + timeout_s
