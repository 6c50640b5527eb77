"""The token bucket behind `sink_rate_limit`, on a fake clock: one batch at once, then `rate`
candidates a second, shared safely between threads."""

from __future__ import annotations

import threading

import pytest

from operators.rate_limit import TokenBucket
from tests.factories import FakeClock

HANG_GUARD_S = 10.0


def test_rate_zero_is_unlimited() -> None:
    clock = FakeClock()
    bucket = TokenBucket(0, burst=4, clock=clock)
    assert bucket.unlimited
    assert [bucket.try_take(1_000_000) for _ in range(100)] == [0.0] * 100


def test_a_burst_of_one_batch_then_rate_tokens_a_second() -> None:
    clock = FakeClock()
    bucket = TokenBucket(4, burst=8, clock=clock)
    assert not bucket.unlimited
    assert bucket.try_take(8) == 0.0, "a whole batch may go at once"
    assert bucket.try_take(1) == pytest.approx(0.25)

    clock.advance(0.25)
    assert bucket.try_take(1) == 0.0
    assert bucket.try_take(1) > 0

    clock.advance(1.0)
    granted = 0
    while bucket.try_take(1) == 0.0:
        granted += 1
    assert granted == 4, "one second at rate 4 refills 4 tokens"


def test_tokens_never_pile_up_beyond_one_batch() -> None:
    clock = FakeClock()
    bucket = TokenBucket(10, burst=5, clock=clock)
    clock.advance(3600.0)
    assert bucket.try_take(5) == 0.0
    assert bucket.try_take(1) == pytest.approx(0.1)


def test_try_take_returns_the_wait_and_takes_nothing_meanwhile() -> None:
    clock = FakeClock()
    bucket = TokenBucket(2, burst=4, clock=clock)
    bucket.try_take(4)
    assert bucket.try_take(3) == pytest.approx(1.5)
    clock.advance(0.5)
    # A refused request took nothing: only the second's worth of refill is missing now.
    assert bucket.try_take(3) == pytest.approx(1.0)
    clock.advance(1.0)
    assert bucket.try_take(3) == 0.0


def test_a_request_above_the_burst_is_a_whole_batch() -> None:
    clock = FakeClock()
    bucket = TokenBucket(1, burst=4, clock=clock)
    assert bucket.try_take(100) == 0.0
    assert bucket.try_take(100) == pytest.approx(4.0)


def test_the_burst_is_at_least_one() -> None:
    clock = FakeClock()
    bucket = TokenBucket(1, burst=0, clock=clock)
    assert bucket.try_take(1) == 0.0
    assert bucket.try_take(1) == pytest.approx(1.0)


def test_threads_sharing_a_bucket_never_get_more_than_it_holds() -> None:
    clock = FakeClock()
    bucket = TokenBucket(1, burst=100, clock=clock)  # the clock stands still: no refill
    granted = [0] * 8
    start = threading.Barrier(len(granted))

    def grab(index: int) -> None:
        start.wait(HANG_GUARD_S)
        for _ in range(50):
            if bucket.try_take(1) == 0.0:
                granted[index] += 1

    threads = [threading.Thread(target=grab, args=(i,)) for i in range(len(granted))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(HANG_GUARD_S)
    assert not any(t.is_alive() for t in threads)
    assert sum(granted) == 100
