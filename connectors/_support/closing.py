"""Closing once: the send step closes its transport at the end of the stream and the process
closes it again at exit, so every connector's `close()` does its work the first time only."""

from __future__ import annotations

import threading


class CloseOnce:
    """Thread-safe flag: `first()` is true for exactly one caller."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._closed = False

    def first(self) -> bool:
        with self._lock:
            if self._closed:
                return False
            self._closed = True
            return True

    @property
    def closed(self) -> bool:
        return self._closed
