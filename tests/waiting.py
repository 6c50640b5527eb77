"""A bounded wait for the tests: poll until something happened, fail saying what did not. The
limit only guards against a hang; no test relies on how long anything takes."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(
    probe: Callable[[], T | None],
    what: str,
    timeout: float = 60.0,
    interval: float = 0.2,
    diagnostics: Callable[[], str] = lambda: "",
) -> T:
    """Call `probe` until it returns something truthy and return that; fail after `timeout`
    seconds saying what did not happen, with `diagnostics()` appended."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s\n{diagnostics()}")
        time.sleep(interval)


def take_items(
    next_batch: Callable[[], list[T]], count: int, wait: Callable[[Callable[[], bool], str], object]
) -> list[T]:
    """Call `next_batch` until at least `count` items came out, waiting with `wait` (a bounded
    poll taking a probe and what it waits for); returns everything that came."""
    items: list[T] = []

    def enough() -> bool:
        items.extend(next_batch())
        return len(items) >= count

    wait(enough, f"{count} items")
    return items
