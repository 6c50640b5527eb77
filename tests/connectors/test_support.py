"""What every connector shares: the backoff policy, the throttled logger, the append file,
closing once."""

from __future__ import annotations

import logging
import random
from pathlib import Path

import pytest

from connectors._support.append_file import AppendFile
from connectors._support.backoff import Backoff, backoff_delay
from connectors._support.closing import CloseOnce
from connectors._support.throttled_log import Throttle, ThrottledLog, ThrottleFilter
from tests.factories import run_threads


class Top(random.Random):
    """The longest wait of every draw."""

    def uniform(self, a: float, b: float) -> float:
        return b


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_backoff_doubles_up_to_the_maximum_with_full_jitter() -> None:
    caps = [backoff_delay(n, 0.5, 30.0, Top()) for n in range(10)]
    assert caps == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0, 30.0]
    rng = random.Random(7)
    delays = [backoff_delay(3, 0.5, 30.0, rng) for _ in range(2000)]
    assert all(0.0 <= d <= 4.0 for d in delays)
    assert min(delays) < 0.5 and max(delays) > 3.5  # full jitter: the whole range is used
    assert backoff_delay(10_000, 0.5, 30.0, Top()) == 30.0  # no overflow


def test_backoff_counts_failures_and_starts_over_after_a_success() -> None:
    backoff = Backoff(0.5, 2.0, Top())
    assert [backoff.next_delay() for _ in range(4)] == [0.5, 1.0, 2.0, 2.0]
    assert backoff.failures == 4
    backoff.reset()
    assert (backoff.next_delay(), backoff.failures) == (0.5, 1)
    with pytest.raises(ValueError, match="must be > 0"):
        Backoff(0.0, 1.0)


def test_throttle_allows_one_per_key_and_interval_and_counts_the_rest() -> None:
    clock = FakeClock()
    throttle = Throttle(10.0, clock)
    assert throttle.allow("a") == (True, 0)
    assert throttle.allow("a") == (False, 1)
    assert throttle.allow("a") == (False, 2)
    assert throttle.allow("b") == (True, 0)  # keys are independent
    clock.now = 10.0
    assert throttle.allow("a") == (True, 2)  # the line that goes out tells what it held back


def test_throttled_log_says_how_many_lines_it_held_back(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    log = ThrottledLog(logging.getLogger("tests.throttled"), 5.0, clock)
    with caplog.at_level(logging.WARNING, "tests.throttled"):
        assert log.log("down", logging.WARNING, "broker %s down", "a")
        assert not log.log("down", logging.WARNING, "broker %s down", "a")
        clock.now = 5.0
        assert log.log("down", logging.WARNING, "broker %s down", "a")
    assert [r.getMessage() for r in caplog.records] == [
        "broker a down",
        "broker a down (1 more like it not logged)",
    ]


def test_throttle_filter_keys_records_as_told() -> None:
    kept = ThrottleFilter(lambda record: record.args, 60.0)

    def record(*args: object) -> logging.LogRecord:
        return logging.LogRecord("x", logging.WARNING, __file__, 1, "%s %s", args, None)

    assert [kept.filter(record("FAIL", n)) for n in (1, 1, 2)] == [True, False, True]


def test_append_file_opens_late_shares_lines_between_threads_and_closes_once(
    tmp_path: Path,
) -> None:
    path = tmp_path / "sub" / "lines.jsonl"
    file = AppendFile(path)
    assert not path.exists()  # nothing is opened by the constructor
    file.open()
    assert path.exists()

    def write(base: int) -> None:
        for n in range(200):
            file.write(b'{"n":%d}\n' % (base + n))

    run_threads(write, [(k * 1000,) for k in range(4)])
    file.close()
    file.close()
    assert file.closed
    lines = path.read_bytes().splitlines()
    assert len(lines) == len(set(lines)) == 800
    with pytest.raises(ValueError, match="closed"):
        file.write(b"late\n")


def test_close_once_lets_exactly_one_closer_through() -> None:
    closing = CloseOnce()
    results: list[bool] = []
    run_threads(lambda: results.append(closing.first()), [()] * 8)
    assert sorted(results) == [False] * 7 + [True]
    assert closing.closed
