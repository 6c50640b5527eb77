"""Sending one batch: what reaches the transport, what the retries and staleness count, and that
every candidate handed in ends in exactly one of sent / stale / failures."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry

from domain.metrics import Metrics
from domain.models import HIGH, LOW, Batch, Candidate
from domain.transport import SendError
from operators.batch_sender import BatchSender
from tests.factories import (
    DeadLetters,
    FakeClock,
    PoisonTransport,
    RecordingTransport,
    SlowTransport,
    make_candidate,
    metric,
    signatures,
)

#: `make_launch(n)` arrives at T0 + n seconds.
T0 = 1_800_000_000.0


class FlakyTransport(RecordingTransport):
    """Raises the given errors on its first attempts, then delivers."""

    def __init__(self, errors: list[Exception]) -> None:
        super().__init__()
        self.errors = list(errors)
        self.attempts = 0

    def send(self, batch: Batch) -> None:
        self.attempts += 1
        if self.errors:
            raise self.errors.pop(0)
        super().send(batch)


class BrokenTransport(RecordingTransport):
    """Fails every attempt with the same error."""

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error
        self.attempts = 0

    def send(self, batch: Batch) -> None:
        self.attempts += 1
        raise self.error


@pytest.fixture
def metrics() -> Metrics:
    return Metrics(CollectorRegistry())


def candidates(*ns: int, priority: str = HIGH) -> list[Candidate]:
    return [make_candidate(n, priority) for n in ns]


def new_sender(
    transport: RecordingTransport,
    metrics: Metrics,
    clock: FakeClock,
    *,
    max_retries: int = 3,
    retry_delay_s: float = 100e-6,
    max_age_s: float = 0.0,
    dead: DeadLetters | None = None,
) -> BatchSender:
    return BatchSender(
        transport,
        metrics,
        max_retries=max_retries,
        retry_delay_s=retry_delay_s,
        max_age_s=max_age_s,
        dead_letter=dead,
        clock=clock,
        sleep=clock.sleep,
    )


def fates(metrics: Metrics) -> dict[str, float]:
    return {
        "sent": sum(
            metric(metrics, "sniffer_candidates_sent_total", priority=p) for p in (HIGH, LOW)
        ),
        "stale": metric(metrics, "sniffer_dropped_stale_total"),
        "failures": metric(metrics, "sniffer_send_failures_total"),
    }


def test_a_sent_batch_is_counted_once_per_candidate_and_once_per_batch(metrics: Metrics) -> None:
    clock = FakeClock(T0 + 10)
    transport = SlowTransport(clock, seconds=2.0)
    sender = new_sender(transport, metrics, clock)
    sender.send(HIGH, candidates(0, 1, 2))

    (batch,) = transport.batches
    assert batch.priority == HIGH
    assert signatures(batch) == ["sig0", "sig1", "sig2"]
    assert metric(metrics, "sniffer_candidates_sent_total", priority=HIGH) == 3
    assert metric(metrics, "sniffer_candidates_sent_total", priority=LOW) == 0
    assert metric(metrics, "sniffer_batches_sent_total", priority=HIGH) == 1
    assert metric(metrics, "sniffer_batches_sent_total", priority=LOW) == 0
    assert metric(metrics, "sniffer_batch_size_count") == 1
    assert metric(metrics, "sniffer_batch_size_sum") == 3
    # From each frame's arrival (T0 + n) to the acknowledgement (T0 + 10 + 2 s in the transport).
    assert metric(metrics, "sniffer_detect_to_send_seconds_count") == 3
    assert metric(metrics, "sniffer_detect_to_send_seconds_sum") == pytest.approx(12 + 11 + 10)
    assert metric(metrics, "sniffer_send_retries_total") == 0
    assert clock.sleeps == []


def test_low_batches_are_counted_under_low(metrics: Metrics) -> None:
    clock = FakeClock(T0 + 10)
    sender = new_sender(RecordingTransport(), metrics, clock)
    sender.send(LOW, candidates(0, 1, priority=LOW))
    assert metric(metrics, "sniffer_candidates_sent_total", priority=LOW) == 2
    assert metric(metrics, "sniffer_batches_sent_total", priority=LOW) == 1
    assert metric(metrics, "sniffer_candidates_sent_total", priority=HIGH) == 0


@pytest.mark.parametrize("failures", [1, 2, 3])
def test_a_transport_that_recovers_is_retried_and_sent_once(
    metrics: Metrics, failures: int
) -> None:
    clock = FakeClock(T0 + 10)
    dead = DeadLetters()
    transport = FlakyTransport([SendError("busy")] * failures)
    sender = new_sender(transport, metrics, clock, max_retries=3, dead=dead)
    sender.send(HIGH, candidates(0, 1))

    assert transport.attempts == failures + 1
    assert transport.sent() == ["sig0", "sig1"]
    assert metric(metrics, "sniffer_send_retries_total") == failures
    assert metric(metrics, "sniffer_candidates_sent_total", priority=HIGH) == 2
    assert metric(metrics, "sniffer_send_failures_total") == 0
    assert clock.sleeps == [pytest.approx(100e-6)] * failures
    assert dead.lines == []


def test_any_exception_of_the_transport_is_retried(metrics: Metrics) -> None:
    clock = FakeClock(T0 + 10)
    transport = FlakyTransport([ConnectionResetError("peer reset"), TimeoutError("slow")])
    sender = new_sender(transport, metrics, clock, max_retries=3)
    sender.send(HIGH, candidates(0))
    assert transport.sent() == ["sig0"]
    assert metric(metrics, "sniffer_send_retries_total") == 2


def test_a_transport_that_never_recovers_fails_the_batch(metrics: Metrics) -> None:
    clock = FakeClock(T0 + 10)
    dead = DeadLetters()
    transport = BrokenTransport(SendError("connection refused"))
    sender = new_sender(transport, metrics, clock, max_retries=3, dead=dead)
    sender.send(LOW, candidates(0, 1, 2, priority=LOW))  # never raises

    assert transport.attempts == 4
    assert metric(metrics, "sniffer_send_retries_total") == 3
    assert metric(metrics, "sniffer_send_failures_total") == 3
    assert metric(metrics, "sniffer_candidates_sent_total", priority=LOW) == 0
    assert metric(metrics, "sniffer_batches_sent_total", priority=LOW) == 0
    assert metric(metrics, "sniffer_batch_size_count") == 0
    assert [sig for _, sig in dead.entries()] == ["sig0", "sig1", "sig2"]
    for reason, _ in dead.entries():
        assert reason.startswith("send_failed")
        assert "connection refused" in reason


def test_with_no_retries_one_attempt_is_all(metrics: Metrics) -> None:
    clock = FakeClock(T0 + 10)
    transport = BrokenTransport(SendError("down"))
    sender = new_sender(transport, metrics, clock, max_retries=0)
    sender.send(HIGH, candidates(0, 1))
    assert transport.attempts == 1
    assert metric(metrics, "sniffer_send_retries_total") == 0
    assert metric(metrics, "sniffer_send_failures_total") == 2
    assert clock.sleeps == []


def test_a_permanent_error_is_not_retried(metrics: Metrics) -> None:
    clock = FakeClock(T0 + 10)
    dead = DeadLetters()
    transport = BrokenTransport(SendError("payload rejected", retryable=False))
    sender = new_sender(transport, metrics, clock, max_retries=5, dead=dead)
    sender.send(HIGH, candidates(0, 1))

    assert transport.attempts == 1
    assert metric(metrics, "sniffer_send_retries_total") == 0
    assert metric(metrics, "sniffer_send_failures_total") == 2
    assert clock.sleeps == []
    assert [sig for _, sig in dead.entries()] == ["sig0", "sig1"]
    assert all(reason.startswith("send_failed") for reason, _ in dead.entries())


def test_the_retry_delay_grows_by_the_backoff_up_to_its_cap(metrics: Metrics) -> None:
    # send_retry_delay_us 100 000, send_retry_backoff 2, send_retry_max_delay_ms 500: a sink
    # that is down for five attempts is waited for 0.1, 0.2, 0.4, 0.5, 0.5 s, then delivered.
    clock = FakeClock(T0 + 10)
    transport = FlakyTransport([SendError("down")] * 5)
    sender = BatchSender(
        transport, metrics, max_retries=6, retry_delay_s=0.1, retry_backoff=2.0,
        retry_max_delay_s=0.5, clock=clock, sleep=clock.sleep,
    )  # fmt: skip
    sender.send(HIGH, candidates(0))

    assert clock.sleeps == [pytest.approx(s) for s in (0.1, 0.2, 0.4, 0.5, 0.5)]
    assert transport.sent() == ["sig0"]
    assert metric(metrics, "sniffer_send_retries_total") == 5


def test_the_default_backoff_keeps_the_seeds_fixed_delay(metrics: Metrics) -> None:
    clock = FakeClock(T0 + 10)
    transport = FlakyTransport([SendError("busy")] * 3)
    new_sender(transport, metrics, clock, retry_delay_s=0.002).send(HIGH, candidates(0))
    assert clock.sleeps == [pytest.approx(0.002)] * 3


def test_a_zero_retry_delay_retries_without_sleeping(metrics: Metrics) -> None:
    clock = FakeClock(T0 + 10)
    transport = FlakyTransport([SendError("busy")] * 2)
    sender = new_sender(transport, metrics, clock, retry_delay_s=0.0)
    sender.send(HIGH, candidates(0))
    assert transport.sent() == ["sig0"]
    assert metric(metrics, "sniffer_send_retries_total") == 2
    assert clock.sleeps == []


def test_stale_candidates_are_dropped_and_fresh_ones_still_sent(metrics: Metrics) -> None:
    # Max age 5 s at T0 + 7: arrivals before T0 + 2 are stale, T0 + 2 itself is not.
    clock = FakeClock(T0 + 7)
    dead = DeadLetters()
    transport = RecordingTransport()
    sender = new_sender(transport, metrics, clock, max_age_s=5.0, dead=dead)
    sender.send(HIGH, candidates(0, 1, 2, 3, 4))

    assert transport.sent() == ["sig2", "sig3", "sig4"]
    assert metric(metrics, "sniffer_dropped_stale_total") == 2
    assert metric(metrics, "sniffer_candidates_sent_total", priority=HIGH) == 3
    assert metric(metrics, "sniffer_batch_size_sum") == 3
    assert dead.entries() == [("stale", "sig0"), ("stale", "sig1")]


def test_a_batch_that_is_all_stale_never_reaches_the_transport(metrics: Metrics) -> None:
    clock = FakeClock(T0 + 100)
    dead = DeadLetters()
    transport = RecordingTransport()
    sender = new_sender(transport, metrics, clock, max_age_s=5.0, dead=dead)
    sender.send(LOW, candidates(0, 1, priority=LOW))
    assert transport.batches == []
    assert metric(metrics, "sniffer_dropped_stale_total") == 2
    assert metric(metrics, "sniffer_batches_sent_total", priority=LOW) == 0
    assert [reason for reason, _ in dead.entries()] == ["stale", "stale"]


def test_without_a_max_age_nothing_is_ever_stale(metrics: Metrics) -> None:
    clock = FakeClock(T0 + 10 * 365 * 86400)
    transport = RecordingTransport()
    sender = new_sender(transport, metrics, clock, max_age_s=0.0)
    sender.send(HIGH, candidates(0, 1))
    assert transport.sent() == ["sig0", "sig1"]
    assert metric(metrics, "sniffer_dropped_stale_total") == 0


def test_close_closes_the_transport(metrics: Metrics) -> None:
    transport = RecordingTransport()
    new_sender(transport, metrics, FakeClock(T0)).close()
    assert transport.closed


def test_every_candidate_ends_in_exactly_one_fate(metrics: Metrics) -> None:
    clock = FakeClock(T0 + 20)
    dead = DeadLetters()
    transport = PoisonTransport(poison={"sig13", "sig31"})
    sender = new_sender(transport, metrics, clock, max_age_s=10.0, dead=dead)
    # Arrivals T0 + 0 ... T0 + 39 at T0 + 20 with 10 s max age: 0..9 are stale.
    handed_in = [
        candidates(*range(start, start + 4), priority=HIGH if start % 8 == 0 else LOW)
        for start in range(0, 40, 4)
    ]
    for batch in handed_in:
        sender.send(batch[0].priority, batch)

    sent = transport.sent()
    dead_by_reason: dict[str, list[str]] = {}
    for reason, sig in dead.entries():
        dead_by_reason.setdefault(reason.split(":")[0], []).append(sig)
    assert dead_by_reason["stale"] == [f"sig{n}" for n in range(10)]
    assert dead_by_reason["send_failed"] == [f"sig{n}" for n in (12, 13, 14, 15, 28, 29, 30, 31)]
    every = [f"sig{n}" for n in range(40)]
    assert sorted(sent + dead_by_reason["stale"] + dead_by_reason["send_failed"]) == sorted(every)
    assert fates(metrics) == {"sent": 22, "stale": 10, "failures": 8}


@pytest.mark.parametrize(
    ("error", "retries_made"),
    [(SendError("payload rejected", retryable=False), 0), (SendError("busy"), 4)],
)
def test_the_failure_log_tells_how_many_retries_were_made(
    metrics: Metrics, caplog: pytest.LogCaptureFixture, error: SendError, retries_made: int
) -> None:
    clock = FakeClock(T0 + 10)
    sender = new_sender(BrokenTransport(error), metrics, clock, max_retries=4)
    with caplog.at_level("WARNING", logger="operators.batch_sender"):
        sender.send(HIGH, candidates(0, 1))
    (record,) = caplog.records
    assert f"after {retries_made} retries" in record.getMessage()
    assert str(error) in record.getMessage()
