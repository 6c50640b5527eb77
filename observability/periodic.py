"""`Periodic`: a daemon thread that does one thing every few seconds, from `start()` until
`close()`. The status line and the snapshot file are both this, with a different `tick`."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod


class Periodic(ABC):
    """Calls `tick()` every `interval_s` seconds on a daemon thread named `name`."""

    def __init__(self, name: str, interval_s: float) -> None:
        if interval_s <= 0:
            raise ValueError(f"interval_s={interval_s}: a periodic task needs an interval > 0")
        self._name = name
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError(f"{self._name} was already started")
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop the thread (waiting for a tick under way, up to 5 s). Safe to call twice, or
        without `start`."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread.is_alive():
            thread.join(timeout=5)

    @abstractmethod
    def tick(self) -> None:
        """The periodic work; runs on the thread, never after `close()` returns."""

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            self.tick()
