"""A token bucket over candidates: `sink_rate_limit` per second, shared by both priorities."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class TokenBucket:
    """`rate` tokens a second, holding at most `burst` (one batch, so a batch always fits).

    `rate` 0 means unlimited: every request is granted at once. Thread-safe: the async mode's two
    senders share one bucket.
    """

    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = max(1, burst)
        self._clock = clock
        self._tokens = float(self.burst)
        self._stamp = clock()
        self._lock = threading.Lock()

    @property
    def unlimited(self) -> bool:
        return self.rate <= 0

    def try_take(self, count: int) -> float:
        """Take `count` tokens if they are there and return 0; else take nothing and return
        the seconds until they will be."""
        if self.unlimited:
            return 0.0
        count = min(count, self.burst)
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            if self._tokens >= count:
                self._tokens -= count
                return 0.0
            return (count - self._tokens) / self.rate
