"""The one retry policy of the connectors: doubling, capped, with full jitter.

Full jitter (a uniform draw between 0 and the capped doubling) spreads the retries of many
clients that lost the same server at the same moment, so they do not all come back at once.
"""

from __future__ import annotations

import random

#: Beyond this many doublings every delay is the cap anyway; it keeps ``2**n`` finite.
_MAX_DOUBLINGS = 64


def backoff_delay(
    attempt: int, initial: float, maximum: float, rng: random.Random | None = None
) -> float:
    """Seconds to wait before retry number ``attempt`` (0 = the first retry): a uniform draw
    from ``[0, min(maximum, initial * 2**attempt)]``."""
    cap = min(maximum, initial * 2.0 ** min(attempt, _MAX_DOUBLINGS))
    return (rng or random).uniform(0.0, cap)


class Backoff:
    """`backoff_delay` with the count of failures since the last success kept for the caller."""

    def __init__(self, initial: float, maximum: float, rng: random.Random | None = None) -> None:
        if not initial > 0 or not maximum > 0:
            raise ValueError(f"backoff initial={initial!r}, maximum={maximum!r}: must be > 0")
        self._initial = initial
        self._maximum = max(maximum, initial)
        self._rng = rng
        self.failures = 0

    def next_delay(self) -> float:
        """Count one more failure; the seconds to wait before the next attempt."""
        delay = backoff_delay(self.failures, self._initial, self._maximum, self._rng)
        self.failures += 1
        return delay

    def reset(self) -> None:
        """An attempt succeeded: the next failure waits the shortest time again."""
        self.failures = 0
