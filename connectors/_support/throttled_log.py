"""The one throttled logger of the connectors: at most one line per kind of event every few
seconds, the rest only counted and mentioned in the next line that goes out.

A server that is down makes a client report every reconnect attempt, several a second; one line
per kind and interval says the same without flooding the log.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable

#: How often one kind of event is logged at most, unless a connector says otherwise.
DEFAULT_INTERVAL_S = 10.0


class Throttle:
    """Says yes to a key at most once per `interval` seconds, and how many it said no to since.
    Thread-safe: the workers of a process share it."""

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        self._seen: dict[Hashable, tuple[float, int]] = {}

    def allow(self, key: Hashable) -> tuple[bool, int]:
        """``(allowed, suppressed)``: whether to log now, and how many were held back since the
        last line of this key (including this one when it is held back)."""
        now = self._clock()
        with self._lock:
            last, suppressed = self._seen.get(key, (now - self._interval, 0))
            if now - last >= self._interval:
                self._seen[key] = (now, 0)
                return True, suppressed
            self._seen[key] = (last, suppressed + 1)
            return False, suppressed + 1


class ThrottledLog:
    """A logger that writes at most one line per key every `interval` seconds."""

    def __init__(
        self,
        logger: logging.Logger,
        interval: float = DEFAULT_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger = logger
        self._throttle = Throttle(interval, clock)

    def log(self, key: Hashable, level: int, msg: str, *args: object) -> bool:
        """Log ``msg % args`` unless a line of `key` went out within the interval; a line that
        goes out says how many were held back before it. Returns whether it was logged."""
        allowed, suppressed = self._throttle.allow(key)
        if allowed:
            more = f" ({suppressed} more like it not logged)" if suppressed else ""
            self._logger.log(level, msg + "%s", *args, more)
        return allowed


class ThrottleFilter(logging.Filter):
    """A `logging.Filter` that lets through one record per key every `interval` seconds, for
    a library's own logger; `key` picks what makes two records "the same kind"."""

    def __init__(
        self,
        key: Callable[[logging.LogRecord], Hashable],
        interval: float = DEFAULT_INTERVAL_S,
    ) -> None:
        super().__init__()
        self._key = key
        self._throttle = Throttle(interval)

    def filter(self, record: logging.LogRecord) -> bool:
        return self._throttle.allow(self._key(record))[0]
