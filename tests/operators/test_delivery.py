"""The send step: what reaches the transport, in which order, and what is counted and
dead-lettered, in both send modes and inside a small dataflow.

Both modes send from real threads (sync: one sender for both priorities; async: one per
priority), driven through on_batch / on_eof / snapshot on a fake clock whose sleep only moves the
clock (or, gated, waits for the test first). The tests synchronise with events and joins, whose
timeouts only guard against a hang.
"""

from __future__ import annotations

import pickle
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bytewax.operators as op
import pytest
from bytewax.dataflow import Dataflow
from bytewax.testing import TestingSource
from prometheus_client import CollectorRegistry

from domain.metrics import Metrics
from domain.models import HIGH, LOW, PRIORITIES, Batch, Candidate
from domain.shutdown import Shutdown
from domain.transport import SendError
from operators.batch_sender import BatchSender
from operators.delivery import (
    AsyncDelivery,
    DeliverySettings,
    SyncDelivery,
    deliver,
    delivery_builder,
)
from operators.rate_limit import TokenBucket
from operators.send_path import DeliveryState, SendPath, ShutdownDrain
from operators.stream_buffer import DropPolicy, StreamBuffers
from tests.factories import (
    DeadLetters,
    FakeClock,
    PoisonTransport,
    RecordingTransport,
    Signalling,
    make_batch,
    make_candidate,
    metric,
    signatures,
)
from tests.jobs import EntryPoint
from tests.waiting import wait_for

#: `make_launch(n)` arrives at T0 + n seconds; the fake clocks start a little later.
T0 = 1_800_000_000.0
START = T0 + 1000.0
#: Guards joins and event waits against a hang; never reached when the code works.
HANG_GUARD_S = 10.0
MODES = ["sync", "async"]


# --- rig ---------------------------------------------------------------------------------------


class FakeShutdown:
    """`domain.shutdown.Shutdown` on the fake clock: asked at a time the test chooses."""

    def __init__(self) -> None:
        self.requested_at: float | None = None

    def request(self, at: float) -> None:
        self.requested_at = at

    @property
    def requested(self) -> bool:
        return self.requested_at is not None

    def deadline(self, timeout_s: float) -> float | None:
        return None if self.requested_at is None else self.requested_at + timeout_s


@dataclass
class Rig:
    logic: Any
    buffers: StreamBuffers
    transport: RecordingTransport
    metrics: Metrics
    clock: FakeClock
    bucket: TokenBucket
    dead: DeadLetters
    shutdown: FakeShutdown
    handed_in: list[Candidate] = field(default_factory=list)

    def feed(self, *batches: Batch) -> None:
        """One activation of the step with these batches."""
        for batch in batches:
            self.handed_in.extend(batch.candidates)
        emitted, retain = self.logic.on_batch(list(batches))
        assert list(emitted) == []
        assert retain is False

    def counts(self) -> dict[str, float]:
        m = self.metrics
        return {
            "sent": sum(metric(m, "sniffer_candidates_sent_total", priority=p) for p in PRIORITIES),
            "dropped_full_buffer": sum(
                metric(m, "sniffer_dropped_full_buffer_total", priority=p) for p in PRIORITIES
            ),
            "dropped_shutdown": metric(m, "sniffer_dropped_shutdown_total"),
            "dropped_stale": metric(m, "sniffer_dropped_stale_total"),
            "send_failures": metric(m, "sniffer_send_failures_total"),
            "depth": sum(metric(m, "sniffer_stream_buffer_depth", priority=p) for p in PRIORITIES),
        }

    def assert_conserved(self) -> None:
        """Every candidate handed in is sent, dropped, stale, failed or still held."""
        assert sum(self.counts().values()) == len(self.handed_in), self.counts()


def make_rig(
    mode: str = "sync",
    *,
    capacity: int = 100,
    policy: DropPolicy = "drop_newest",
    batch_size: int = 2,
    rate: float = 0.0,
    max_retries: int = 0,
    max_age_s: float = 0.0,
    shutdown_timeout_s: float = 5.0,
    contents: tuple[Candidate, ...] = (),
    transport: RecordingTransport | None = None,
    clock: FakeClock | None = None,
    bucket: TokenBucket | None = None,
    sleep: Callable[[float], None] | None = None,
) -> Rig:
    metrics = Metrics(CollectorRegistry())
    clock = clock if clock is not None else FakeClock(START)
    transport = transport if transport is not None else RecordingTransport()
    dead = DeadLetters()
    shutdown = FakeShutdown()
    buffers = StreamBuffers(capacity, policy, metrics, dead, contents=contents)
    sender = BatchSender(
        transport,
        metrics,
        max_retries=max_retries,
        retry_delay_s=0.0,
        max_age_s=max_age_s,
        dead_letter=dead,
        clock=clock,
        sleep=clock.sleep,
    )
    bucket = bucket if bucket is not None else TokenBucket(rate, burst=batch_size, clock=clock)
    drain = ShutdownDrain(shutdown, shutdown_timeout_s, metrics, dead, clock=clock)  # type: ignore[arg-type]
    path = SendPath(buffers, sender, bucket, batch_size, drain)
    logic: Any
    wait = sleep if sleep is not None else clock.sleep
    logic = SyncDelivery(path, sleep=wait) if mode == "sync" else AsyncDelivery(path, sleep=wait)
    return Rig(logic, buffers, transport, metrics, clock, bucket, dead, shutdown, list(contents))


def exhaust(bucket: TokenBucket) -> None:
    """Use up the burst, so that nothing more goes until the fake clock moves."""
    assert bucket.try_take(bucket.burst) == 0.0


def batch(ns: range | list[int], priority: str = HIGH) -> Batch:
    return make_batch(ns, priority, score=0.9 if priority == HIGH else 0.1)


def sigs(ns: range | list[int]) -> list[str]:
    return [f"sig{n}" for n in ns]


class Gate:
    """An event that is always opened at the end of a test, so a failure cannot hang."""

    def __init__(self) -> None:
        self.event = threading.Event()

    def wait(self) -> None:
        self.event.wait(HANG_GUARD_S)

    def open(self) -> None:
        self.event.set()


@pytest.fixture
def gates() -> Iterator[Callable[[], Gate]]:
    made: list[Gate] = []

    def new() -> Gate:
        gate = Gate()
        made.append(gate)
        return gate

    yield new
    for gate in made:
        gate.open()


def _rigs_of(mode: str) -> Iterator[Callable[..., Rig]]:
    """Builds rigs of `mode` and makes sure their sender threads are gone after the test."""
    made: list[Rig] = []

    def new(**kwargs: Any) -> Rig:
        rig = make_rig(mode, **kwargs)
        made.append(rig)
        return rig

    yield new
    for rig in made:
        rig.buffers.drain_all()  # a failed test may leave work that can never be sent
        closer = threading.Thread(target=rig.logic.close, daemon=True)
        closer.start()
        closer.join(HANG_GUARD_S)


@pytest.fixture
def async_rigs() -> Iterator[Callable[..., Rig]]:
    yield from _rigs_of("async")


@pytest.fixture
def sync_rigs() -> Iterator[Callable[..., Rig]]:
    yield from _rigs_of("sync")


class GatedSleep:
    """A fake sleep that first waits for `gate`: a sender that needs tokens stays put (taking
    nothing) until the test opens the gate; then the fake clock moves as asked."""

    def __init__(self, clock: FakeClock, gate: Gate) -> None:
        self._clock = clock
        self._gate = gate
        self.asked = threading.Event()

    def __call__(self, seconds: float) -> None:
        self.asked.set()
        self._gate.wait()
        self._clock.sleep(seconds)


def sender_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("sniffer-sender-")]


# --- sync: one sender thread, one batch at a time, HIGH before LOW ------------------------------


def test_sync_sends_high_before_low_when_both_wait(sync_rigs: Callable[..., Rig]) -> None:
    held = tuple(
        [make_candidate(n, LOW, 0.1) for n in range(10, 14)]
        + [make_candidate(n, HIGH) for n in range(0, 4)]
    )
    # Resumed contents: both priorities wait before the sender starts.
    rig = sync_rigs(batch_size=2, contents=held)
    rig.logic.on_eof()

    assert [b.priority for b in rig.transport.batches] == [HIGH, HIGH, LOW, LOW]
    assert rig.transport.sent() == sigs(range(0, 4)) + sigs(range(10, 14))
    assert metric(rig.metrics, "sniffer_candidates_sent_total", priority=HIGH) == 4
    assert metric(rig.metrics, "sniffer_candidates_sent_total", priority=LOW) == 4
    assert metric(rig.metrics, "sniffer_batches_sent_total", priority=HIGH) == 2
    assert sender_threads() == []
    rig.assert_conserved()


class OneAtATime(RecordingTransport):
    """Every send waits for `gate`; records the most sends ever under way at once."""

    def __init__(self, gate: Gate) -> None:
        super().__init__()
        self.gate = gate
        self.entered = threading.Event()
        self.busy = 0
        self.most_busy = 0
        self._count_lock = threading.Lock()

    def send(self, batch: Batch) -> None:
        with self._count_lock:
            self.busy += 1
            self.most_busy = max(self.most_busy, self.busy)
        self.entered.set()
        self.gate.wait()
        super().send(batch)
        with self._count_lock:
            self.busy -= 1


def test_sync_high_that_comes_while_low_is_sent_goes_next_one_batch_at_a_time(
    sync_rigs: Callable[..., Rig], gates: Callable[[], Gate]
) -> None:
    gate = gates()
    transport = OneAtATime(gate)
    rig = sync_rigs(batch_size=2, transport=transport)
    rig.feed(batch(range(10, 16), LOW))
    assert transport.entered.wait(HANG_GUARD_S)
    # The worker came back from on_batch while the consumer holds the first LOW batch: it never
    # waits on the consumer. HIGH arrives meanwhile and overtakes the LOW still waiting.
    rig.feed(batch(range(0, 4), HIGH))
    gate.open()
    rig.logic.on_eof()

    assert rig.transport.sent() == sigs([10, 11]) + sigs(range(0, 4)) + sigs(range(12, 16))
    assert transport.most_busy == 1, "sync sends one batch at a time"
    assert sender_threads() == []
    rig.assert_conserved()


def test_sync_with_a_rate_limit_sends_high_first_and_waits_for_tokens(
    sync_rigs: Callable[..., Rig],
) -> None:
    held = tuple(
        [make_candidate(n, LOW, 0.1) for n in range(10, 15)]
        + [make_candidate(n, HIGH) for n in range(0, 3)]
    )
    clock = FakeClock(START)
    bucket = TokenBucket(0.5, burst=2, clock=clock)
    exhaust(bucket)
    rig = sync_rigs(batch_size=2, contents=held, clock=clock, bucket=bucket)
    rig.logic.on_eof()
    assert rig.transport.sent() == sigs(range(0, 3)) + sigs(range(10, 15))
    assert rig.buffers.is_empty()
    # 8 candidates at 0.5 a second, the burst used up: 16 s of (fake) waiting.
    assert sum(clock.sleeps) == pytest.approx(16.0)
    rig.assert_conserved()


@pytest.mark.parametrize("mode", MODES)
def test_block_waits_for_the_sender_and_loses_nothing(mode: str, gates: Callable[[], Gate]) -> None:
    gate = gates()
    rig = make_rig(mode, capacity=2, policy="block", batch_size=1, transport=GatedTransport(gate))
    found_full = threading.Event()
    rig.metrics.backpressure_events = Signalling(rig.metrics.backpressure_events, found_full)  # type: ignore[assignment]

    producer = threading.Thread(target=rig.feed, args=(batch(range(8)),))
    producer.start()
    assert found_full.wait(HANG_GUARD_S)
    assert producer.is_alive(), "the producer waits for room: its input slows down"
    assert rig.counts()["dropped_full_buffer"] == 0

    gate.open()
    producer.join(HANG_GUARD_S)
    assert not producer.is_alive()
    rig.logic.on_eof()

    assert rig.transport.sent() == sigs(range(8))
    assert rig.counts()["dropped_full_buffer"] == 0
    assert metric(rig.metrics, "sniffer_backpressure_events_total") >= 1
    assert rig.dead.lines == []
    rig.assert_conserved()


@pytest.mark.parametrize(
    ("policy", "high_kept", "low_kept"),
    [
        ("drop_newest", [0, 1, 2], [10, 11, 12]),
        ("drop_oldest", [2, 3, 4], [12, 13, 14]),
    ],
)
@pytest.mark.parametrize("mode", MODES)
def test_drop_policy_decides_who_survives_a_consumer_that_cannot_keep_up(
    mode: str,
    policy: DropPolicy,
    high_kept: list[int],
    low_kept: list[int],
    gates: Callable[[], Gate],
) -> None:
    # The senders wait for tokens (held by the gate) and take nothing while the input arrives.
    gate = gates()
    clock = FakeClock(START)
    bucket = TokenBucket(1.0, burst=3, clock=clock)
    exhaust(bucket)
    rig = make_rig(
        mode,
        capacity=3,
        policy=policy,
        batch_size=3,
        clock=clock,
        bucket=bucket,
        sleep=GatedSleep(clock, gate),
    )
    rig.feed(batch(range(10, 15), LOW), batch(range(0, 5), HIGH))
    gate.open()
    rig.logic.on_eof()

    assert rig.transport.sent(HIGH) == sigs(high_kept)
    assert rig.transport.sent(LOW) == sigs(low_kept)
    lost_high = sorted(set(sigs(range(0, 5))) - set(sigs(high_kept)))
    lost_low = sorted(set(sigs(range(10, 15))) - set(sigs(low_kept)))
    assert metric(rig.metrics, "sniffer_dropped_full_buffer_total", priority=HIGH) == len(lost_high)
    assert metric(rig.metrics, "sniffer_dropped_full_buffer_total", priority=LOW) == len(lost_low)
    assert metric(rig.metrics, "sniffer_backpressure_events_total") == 4
    assert sorted(rig.dead.entries()) == sorted(
        ("dropped_full_buffer", sig) for sig in lost_high + lost_low
    )
    rig.assert_conserved()


def test_sync_snapshot_resumes_to_the_same_candidates(
    sync_rigs: Callable[..., Rig], gates: Callable[[], Gate]
) -> None:
    gate = gates()
    clock = FakeClock(START)
    bucket = TokenBucket(1.0, burst=2, clock=clock)
    exhaust(bucket)
    rig = sync_rigs(batch_size=2, clock=clock, bucket=bucket, sleep=GatedSleep(clock, gate))
    rig.feed(batch(range(10, 13), LOW), batch(range(0, 4), HIGH))
    state = rig.logic.snapshot()
    assert isinstance(state, DeliveryState)
    assert signatures(state.buffered) == sigs(range(0, 4)) + sigs(range(10, 13))

    # What the step's builder does with a resume state, after the state went through pickle.
    resumed_state = pickle.loads(pickle.dumps(state))
    held_up = gates()
    transport = GatedTransport(held_up)
    resumed = sync_rigs(batch_size=2, contents=resumed_state.buffered, transport=transport)
    assert transport.entered.wait(HANG_GUARD_S)
    # The batch being sent still counts in the depth.
    assert metric(resumed.metrics, "sniffer_stream_buffer_depth", priority=HIGH) == 4
    held_up.open()
    resumed.logic.on_eof()
    assert resumed.transport.sent() == sigs(range(0, 4)) + sigs(range(10, 13))
    resumed.assert_conserved()

    # The original, had it lived on, would have delivered the very same candidates.
    gate.open()
    rig.logic.on_eof()
    assert rig.transport.sent() == resumed.transport.sent()


def test_sync_candidates_that_wait_too_long_go_stale(sync_rigs: Callable[..., Rig]) -> None:
    # Launches arrive at T0 + n; the sender sends 2 every 4 s from T0 + 1000 (tokens used up),
    # and a candidate may be 1005 s old when its turn comes.
    clock = FakeClock(T0 + 1000)
    bucket = TokenBucket(0.5, burst=2, clock=clock)
    exhaust(bucket)
    held = tuple(make_candidate(n) for n in range(0, 10))
    rig = sync_rigs(batch_size=2, max_age_s=1005.0, clock=clock, bucket=bucket, contents=held)
    rig.logic.on_eof()
    # Turns at T0 + 1004 (0, 1 fresh), T0 + 1008 (2 stale, 3 fresh), T0 + 1012 ... (all stale).
    assert rig.transport.sent() == sigs([0, 1, 3])
    assert rig.dead.entries() == [("stale", sig) for sig in sigs([2, 4, 5, 6, 7, 8, 9])]
    assert rig.counts()["dropped_stale"] == 7
    rig.assert_conserved()


def test_sync_failed_sends_are_counted_and_dead_lettered(sync_rigs: Callable[..., Rig]) -> None:
    class Refusing(RecordingTransport):
        def send(self, batch: Batch) -> None:
            if batch.priority == LOW:
                raise SendError("LOW topic missing", retryable=False)
            super().send(batch)

    rig = sync_rigs(batch_size=2, transport=Refusing())
    rig.feed(batch(range(0, 3)), batch(range(10, 13), LOW))
    rig.logic.on_eof()
    assert rig.transport.sent() == sigs(range(0, 3))
    assert rig.counts()["send_failures"] == 3
    assert sorted(sig for _, sig in rig.dead.entries()) == sigs(range(10, 13))
    rig.assert_conserved()


@pytest.mark.parametrize("mode", MODES)
def test_block_near_the_shutdown_deadline_counts_what_it_cannot_place(
    mode: str, gates: Callable[[], Gate]
) -> None:
    # Found by this test: `block` with a rate limit longer than the drain time left used to
    # forget the candidate it could not make room for (counted nowhere).
    gate = gates()
    clock = FakeClock(START)
    # So slow that the clock moving past the deadline grants no token.
    bucket = TokenBucket(0.001, burst=1, clock=clock)
    exhaust(bucket)
    rig = make_rig(
        mode,
        capacity=1,
        policy="block",
        batch_size=1,
        shutdown_timeout_s=0.5,
        clock=clock,
        bucket=bucket,
        sleep=GatedSleep(clock, gate),
    )
    rig.shutdown.request(at=clock())
    producer = threading.Thread(target=rig.feed, args=(batch(range(3)),))
    producer.start()
    clock.advance(1.0)  # the drain's deadline passes while the producer waits for room
    producer.join(HANG_GUARD_S)
    assert not producer.is_alive()
    rig.assert_conserved()
    assert rig.counts()["dropped_shutdown"] == 2  # the two that found no room

    gave_up = threading.Event()
    rig.metrics.dropped_shutdown = Signalling(rig.metrics.dropped_shutdown, gave_up)  # type: ignore[assignment]
    closer = threading.Thread(target=rig.logic.on_eof)
    closer.start()
    assert gave_up.wait(HANG_GUARD_S)  # the one waiting for tokens is given up
    gate.open()
    closer.join(HANG_GUARD_S)
    assert not closer.is_alive()
    assert rig.transport.sent() == []
    assert rig.counts()["dropped_shutdown"] == 3
    assert sorted(sig for reason, sig in rig.dead.entries() if reason == "dropped_shutdown") == (
        sigs(range(3))
    )
    rig.assert_conserved()


@pytest.mark.parametrize("mode", MODES)
def test_block_with_resumed_contents_above_a_lowered_capacity_loses_nothing(
    mode: str, gates: Callable[[], Gate]
) -> None:
    # Found by this test: making room sent one batch, which was not enough room here, and the
    # arriving candidate vanished from every counter.
    gate = gates()
    transport = GatedTransport(gate)
    held = tuple(make_candidate(n) for n in range(5))
    rig = make_rig(
        mode, capacity=2, policy="block", batch_size=2, contents=held, transport=transport
    )
    assert transport.entered.wait(HANG_GUARD_S)  # the first batch is held by the consumer
    producer = threading.Thread(target=rig.feed, args=(batch([5]),))
    producer.start()
    gate.open()
    producer.join(HANG_GUARD_S)
    assert not producer.is_alive()
    rig.logic.on_eof()
    assert rig.transport.sent() == sigs(range(6))
    assert metric(rig.metrics, "sniffer_backpressure_events_total") == 1
    rig.assert_conserved()


def test_sync_drain_after_a_signal_stops_at_the_deadline_and_counts_the_rest(
    sync_rigs: Callable[..., Rig], gates: Callable[[], Gate]
) -> None:
    gate = gates()
    entered = threading.Event()

    class Stuck(RecordingTransport):
        def send(self, batch: Batch) -> None:
            entered.set()
            gate.wait()
            super().send(batch)

    rig = sync_rigs(batch_size=2, shutdown_timeout_s=0.0, transport=Stuck())
    gave_up = threading.Event()
    rig.metrics.dropped_shutdown = Signalling(rig.metrics.dropped_shutdown, gave_up)  # type: ignore[assignment]
    rig.feed(batch(range(0, 6)), batch(range(10, 16), LOW))
    assert entered.wait(HANG_GUARD_S)
    # The one sender is stuck on the first HIGH batch; the rest waits.

    rig.shutdown.request(at=rig.clock())  # and the drain time is already over
    closer = threading.Thread(target=rig.logic.on_eof)
    closer.start()
    assert gave_up.wait(HANG_GUARD_S)
    gate.open()  # the batch in flight finishes and is counted as sent
    closer.join(HANG_GUARD_S)
    assert not closer.is_alive()

    assert sender_threads() == []
    assert rig.transport.sent() == sigs([0, 1])
    assert rig.counts()["dropped_shutdown"] == 10
    assert sorted(sig for reason, sig in rig.dead.entries() if reason == "dropped_shutdown") == (
        sorted(sigs(range(2, 6)) + sigs(range(10, 16)))
    )
    assert rig.buffers.is_empty()
    rig.assert_conserved()


def test_sync_without_a_signal_on_eof_has_no_deadline(sync_rigs: Callable[..., Rig]) -> None:
    rig = sync_rigs(batch_size=2, rate=0.001, shutdown_timeout_s=0.001)
    exhaust(rig.bucket)
    rig.feed(batch(range(4)))
    rig.logic.on_eof()
    assert rig.transport.sent() == sigs(range(4))
    assert rig.counts()["dropped_shutdown"] == 0


# --- async: real sender threads ----------------------------------------------------------------


def test_async_keeps_order_within_each_priority_and_sends_nothing_twice(
    async_rigs: Callable[..., Rig],
) -> None:
    rig = async_rigs(batch_size=4, capacity=1000)
    expected: dict[str, list[str]] = {HIGH: [], LOW: []}
    for start in range(0, 600, 3):
        priority = HIGH if (start // 3) % 3 else LOW
        rig.feed(batch(range(start, start + 3), priority))
        expected[priority] += sigs(range(start, start + 3))
    rig.logic.on_eof()

    assert rig.transport.sent(HIGH) == expected[HIGH]
    assert rig.transport.sent(LOW) == expected[LOW]
    every = rig.transport.sent()
    assert len(every) == len(set(every)) == 600
    assert sender_threads() == []
    assert rig.counts()["sent"] == 600
    rig.assert_conserved()


class GatedTransport(RecordingTransport):
    """Every send waits for `gate`; `entered` is set when the first send starts."""

    def __init__(self, gate: Gate) -> None:
        super().__init__()
        self.gate = gate
        self.entered = threading.Event()

    def send(self, batch: Batch) -> None:
        self.entered.set()
        self.gate.wait()
        super().send(batch)


def test_async_close_drains_everything_then_joins_the_senders(
    async_rigs: Callable[..., Rig], gates: Callable[[], Gate]
) -> None:
    gate = gates()
    rig = async_rigs(batch_size=2, transport=GatedTransport(gate))
    rig.feed(batch(range(0, 10)), batch(range(10, 20), LOW))
    assert rig.transport.sent() == [], "nothing can be delivered before the gate opens"

    closer = threading.Thread(target=rig.logic.close)
    closer.start()
    gate.open()
    closer.join(HANG_GUARD_S)
    assert not closer.is_alive()

    assert rig.transport.sent(HIGH) == sigs(range(0, 10))
    assert rig.transport.sent(LOW) == sigs(range(10, 20))
    assert sender_threads() == []
    assert rig.buffers.is_empty()
    rig.assert_conserved()


def test_async_with_a_rate_limit_low_waits_while_high_waits(
    async_rigs: Callable[..., Rig],
) -> None:
    """A LOW batch never goes while HIGH candidates wait for the shared tokens."""
    waiting_high_at_each_send: list[tuple[str, int]] = []
    buffers_ref: list[StreamBuffers] = []
    rig_ready = threading.Event()

    class Watching(RecordingTransport):
        def send(self, batch: Batch) -> None:
            rig_ready.wait(HANG_GUARD_S)  # the senders start before the rig is handed back
            waiting_high_at_each_send.append((batch.priority, buffers_ref[0].waiting(HIGH)))
            super().send(batch)

    held = tuple(
        [make_candidate(n, LOW, 0.1) for n in range(10, 16)]
        + [make_candidate(n, HIGH) for n in range(0, 6)]
    )
    # Resumed contents: both priorities wait before either sender starts.
    clock = FakeClock(START)
    rig = async_rigs(batch_size=2, rate=1.0, contents=held, transport=Watching(), clock=clock)
    buffers_ref.append(rig.buffers)
    rig_ready.set()
    rig.logic.on_eof()

    assert rig.transport.sent(HIGH) == sigs(range(0, 6))
    assert rig.transport.sent(LOW) == sigs(range(10, 16))
    assert [waiting for priority, waiting in waiting_high_at_each_send if priority == LOW] == [
        0,
        0,
        0,
    ]
    assert clock.sleeps, "the senders waited for tokens (on the fake clock)"
    rig.assert_conserved()


def test_async_never_sends_more_than_the_rate_limit_allows(
    async_rigs: Callable[..., Rig],
) -> None:
    # Found by this test: the sender took its tokens for what was waiting, then took up to a
    # whole batch; candidates that arrived in between were sent without tokens.
    clock = FakeClock(START)
    arrivals: list[list[Candidate]] = [[make_candidate(n) for n in (1, 2, 3)]]
    rigs: list[Rig] = []

    class ArrivalsWhileAsking(TokenBucket):
        def try_take(self, count: int) -> float:
            if arrivals and rigs:
                # More candidates arrive while the sender asks for its tokens.
                for candidate in arrivals.pop():
                    rigs[0].handed_in.append(candidate)
                    rigs[0].buffers.put(candidate)
            return super().try_take(count)

    sent_at: list[tuple[float, int]] = []
    first_sent = threading.Event()

    class Timed(RecordingTransport):
        def send(self, batch: Batch) -> None:
            super().send(batch)
            sent_at.append((clock(), len(self.sent())))
            first_sent.set()

    # The bucket the step's builder makes (a batch of burst), with arrivals in between.
    bucket = ArrivalsWhileAsking(1.0, burst=4, clock=clock)
    rig = async_rigs(batch_size=4, transport=Timed(), clock=clock, bucket=bucket)
    rigs.append(rig)
    rig.feed(batch([0]))  # tokens for 1 are asked; 3 more arrive meanwhile
    assert first_sent.wait(HANG_GUARD_S)
    rig.feed(batch(range(4, 8)))
    rig.logic.on_eof()

    assert rig.transport.sent() == sigs(range(8))
    # Before the fix: 4 delivered at 0 s and 8 by 1 s, where burst 4 + 1/s allows 5.
    for at, total in sent_at:
        assert total <= bucket.burst + bucket.rate * (at - START) + 1e-9, sent_at
    rig.assert_conserved()


def test_async_snapshot_mid_send_holds_the_batch_in_flight(
    async_rigs: Callable[..., Rig], gates: Callable[[], Gate]
) -> None:
    gate = gates()
    transport = GatedTransport(gate)
    rig = async_rigs(batch_size=2, transport=transport)
    rig.feed(batch(range(0, 4)))
    assert transport.entered.wait(HANG_GUARD_S)

    state = rig.logic.snapshot()
    # sig0 and sig1 are being sent: if the process died now, nobody knows whether they arrived.
    assert signatures(state.buffered) == sigs(range(0, 4))

    gate.open()
    rig.logic.on_eof()
    assert rig.transport.sent() == sigs(range(0, 4))

    # A restart from that snapshot delivers them again: at-least-once.
    resumed = async_rigs(batch_size=2, contents=pickle.loads(pickle.dumps(state)).buffered)
    resumed.logic.on_eof()
    assert resumed.transport.sent() == sigs(range(0, 4))


def test_async_drain_after_a_signal_gives_up_at_the_deadline(
    async_rigs: Callable[..., Rig], gates: Callable[[], Gate]
) -> None:
    gate = gates()
    entered = {HIGH: threading.Event(), LOW: threading.Event()}

    class Stuck(RecordingTransport):
        def send(self, batch: Batch) -> None:
            entered[batch.priority].set()
            gate.wait()
            super().send(batch)

    rig = async_rigs(batch_size=2, shutdown_timeout_s=0.0, transport=Stuck())
    gave_up = threading.Event()
    rig.metrics.dropped_shutdown = Signalling(rig.metrics.dropped_shutdown, gave_up)  # type: ignore[assignment]
    rig.feed(batch(range(0, 4)), batch(range(10, 14), LOW))
    assert entered[HIGH].wait(HANG_GUARD_S)
    assert entered[LOW].wait(HANG_GUARD_S)
    # Each sender is stuck on its first batch; sig2, sig3, sig12, sig13 still wait.

    rig.shutdown.request(at=rig.clock())  # and the drain time is already over
    closer = threading.Thread(target=rig.logic.on_eof)
    closer.start()
    assert gave_up.wait(HANG_GUARD_S)
    gate.open()  # the batches in flight finish and are counted as sent
    closer.join(HANG_GUARD_S)
    assert not closer.is_alive()

    assert sender_threads() == []
    assert rig.transport.sent() in (sigs([0, 1, 10, 11]), sigs([10, 11, 0, 1]))
    assert rig.counts()["dropped_shutdown"] == 4
    assert sorted(sig for reason, sig in rig.dead.entries() if reason == "dropped_shutdown") == (
        sigs([12, 13, 2, 3])
    )
    rig.assert_conserved()


# --- inside a dataflow ------------------------------------------------------------------------

KEY = "launches"


def run_deliver(
    entry_point: EntryPoint,
    batches: list[Batch],
    transport: RecordingTransport,
    **settings: Any,
) -> tuple[Metrics, DeadLetters]:
    config = DeliverySettings(**settings)
    metrics = Metrics(CollectorRegistry(), capacity=config.buffer_capacity)
    dead = DeadLetters()
    flow = Dataflow("deliver_test")
    keyed = op.input("batches", flow, TestingSource([(KEY, b) for b in batches]))
    deliver("deliver", keyed, config, metrics, transport, Shutdown(), dead_letter=dead)
    entry_point(flow)
    return metrics, dead


def fates(metrics: Metrics) -> dict[str, float]:
    snap = metrics.snapshot()
    keys = (
        "candidates_sent",
        "dropped_full_buffer",
        "dropped_shutdown",
        "dropped_stale",
        "send_failures",
        "stream_buffer_depth",
    )
    return {key: snap[key] for key in keys}


def mixed_batches(count: int, size: int) -> list[Batch]:
    return [batch(range(i * size, (i + 1) * size), HIGH if i % 3 else LOW) for i in range(count)]


@pytest.mark.parametrize("mode", MODES)
def test_deliver_in_a_dataflow_sends_every_candidate_exactly_once(
    entry_point: EntryPoint, mode: str
) -> None:
    batches = mixed_batches(60, 5)
    transport = RecordingTransport()
    metrics, dead = run_deliver(entry_point, batches, transport, send_mode=mode, batch_size=4)

    for priority in PRIORITIES:
        expected = [sig for b in batches if b.priority == priority for sig in signatures(b)]
        assert transport.sent(priority) == expected
    assert len(transport.sent()) == len(set(transport.sent())) == 300
    assert dead.lines == []
    assert fates(metrics) == {
        "candidates_sent": 300,
        "dropped_full_buffer": 0,
        "dropped_shutdown": 0,
        "dropped_stale": 0,
        "send_failures": 0,
        "stream_buffer_depth": 0,
    }


@pytest.mark.parametrize("policy", ["drop_newest", "drop_oldest", "block"])
@pytest.mark.parametrize("mode", MODES)
def test_deliver_in_a_dataflow_accounts_for_every_candidate(
    entry_point: EntryPoint, mode: str, policy: DropPolicy
) -> None:
    # Ancient launches (arrived at the epoch) are stale; the others arrive far in the future.
    fresh = 4_000_000_000.0
    batches = []
    for i in range(40):
        candidates = tuple(
            make_candidate(
                n,
                HIGH if i % 2 else LOW,
                arrived_at=0.0 if n % 7 == 0 else fresh,
            )
            for n in range(i * 5, (i + 1) * 5)
        )
        batches.append(Batch(candidates[0].priority, candidates, opened_at=fresh))
    transport = PoisonTransport({"sig11", "sig52", "sig153"})
    metrics, dead = run_deliver(
        entry_point,
        batches,
        transport,
        send_mode=mode,
        batch_size=3,
        buffer_capacity=4,
        drop_policy=policy,
        max_retries=1,
        retry_delay_s=0.0,
        max_age_s=60.0,
    )

    every = [sig for b in batches for sig in signatures(b)]
    delivered = transport.sent()
    dead_sigs = [sig for _, sig in dead.entries()]
    assert len(delivered) == len(set(delivered)), "nothing is delivered twice"
    assert sorted(delivered + dead_sigs) == sorted(every), "each is delivered or dead-lettered"
    assert not {sig for sig in delivered if int(sig[3:]) % 7 == 0}, "no stale one is delivered"

    counts = fates(metrics)
    assert sum(counts.values()) == len(every), counts
    assert counts["stream_buffer_depth"] == 0
    assert counts["dropped_shutdown"] == 0
    assert counts["candidates_sent"] == len(delivered)
    reasons = [reason.split(":")[0] for reason, _ in dead.entries()]
    assert counts["dropped_full_buffer"] == reasons.count("dropped_full_buffer")
    assert counts["dropped_stale"] == reasons.count("stale")
    assert counts["send_failures"] == reasons.count("send_failed")
    if policy == "block":
        assert counts["dropped_full_buffer"] == 0
    for priority in PRIORITIES:
        order = [int(sig[3:]) for sig in transport.sent(priority)]
        assert order == sorted(order), "order within a priority is kept"


# --- accounting: entry counts, the consistent cut, and resume ----------------------------------


def exported(state: DeliveryState) -> dict[str, float]:
    """Totals per counter name from a snapshot's exported counts."""
    totals: dict[str, float] = {}
    for name, _labels, value in state.counts:
        totals[name] = totals.get(name, 0.0) + value
    return totals


def assert_cut_conserved(state: DeliveryState) -> None:
    """The second law over one snapshot: exported counts plus the candidates it holds."""
    c = exported(state)
    fates = sum(
        c.get(f"sniffer_{name}", 0.0)
        for name in (
            "candidates_sent",
            "dropped_full_buffer",
            "dropped_shutdown",
            "dropped_stale",
            "send_failures",
        )
    )
    assert c.get("sniffer_candidates_detected", 0.0) == fates + len(state.buffered), c
    assert c.get("sniffer_tx_seen", 0.0) == c.get("sniffer_candidates_detected", 0.0)


def test_taking_a_candidate_in_counts_it_seen_and_detected_by_launchpad_and_priority(
    sync_rigs: Callable[..., Rig], gates: Callable[[], Gate]
) -> None:
    clock = FakeClock(START)
    bucket = TokenBucket(1.0, burst=2, clock=clock)
    exhaust(bucket)  # nothing is sent (the sender waits at the gate): only the entry is counted
    rig = sync_rigs(capacity=2, clock=clock, bucket=bucket, sleep=GatedSleep(clock, gates()))
    rig.logic.on_batch([batch(range(3)), batch(range(3, 4), LOW)])
    m = rig.metrics
    assert metric(m, "sniffer_tx_seen_total") == 4
    assert metric(m, "sniffer_candidates_detected_total", launchpad="pump_fun", priority=HIGH) == 3
    assert metric(m, "sniffer_candidates_detected_total", launchpad="pump_fun", priority=LOW) == 1
    # The third HIGH found its buffer full: detected, and dropped by the policy.
    assert metric(m, "sniffer_dropped_full_buffer_total", priority=HIGH) == 1
    assert_cut_conserved(rig.logic.snapshot())


def test_async_snapshots_taken_while_senders_run_are_consistent_cuts(
    async_rigs: Callable[..., Rig],
) -> None:
    rig = async_rigs(capacity=64, batch_size=4)
    cuts: list[DeliveryState] = []
    for n in range(0, 2000, 10):
        rig.logic.on_batch([batch(range(n, n + 10), HIGH if n % 20 else LOW)])
        cuts.append(rig.logic.snapshot())
    rig.logic.close()
    cuts.append(rig.logic.snapshot())
    for state in cuts:
        assert_cut_conserved(state)
    assert cuts[-1].buffered == ()


def test_resume_restores_the_counters_and_rewinds_a_resumable_sink(tmp_path: Path) -> None:
    from connectors.line_sinks import JsonlFileTransport

    out = tmp_path / "candidates.jsonl"
    config = DeliverySettings(batch_size=2)
    first_metrics = Metrics(CollectorRegistry())
    first = delivery_builder(config, first_metrics, JsonlFileTransport(out), Shutdown())(None)
    first.on_batch([batch(range(4))])
    sent = first_metrics.snapshot
    wait_for(lambda: sent()["candidates_sent"] == 4, "4 sent", HANG_GUARD_S, 0.001)
    state = pickle.loads(pickle.dumps(first.snapshot()))  # as the recovery store keeps it
    assert state.sink_position == out.stat().st_size
    first.on_batch([batch(range(4, 6))])  # sent after the snapshot, then the process dies
    wait_for(lambda: sent()["candidates_sent"] == 6, "6 sent", HANG_GUARD_S, 0.001)
    assert len(out.read_text().splitlines()) == 6
    first.on_eof()  # (joins its sender; a dead process would have none)

    resumed_metrics = Metrics(CollectorRegistry())
    resumed = delivery_builder(config, resumed_metrics, JsonlFileTransport(out), Shutdown())(state)
    # The counts continue from the snapshot, and the file went back to the snapshot's position.
    assert resumed_metrics.snapshot()["candidates_sent"] == 4
    assert resumed_metrics.snapshot()["tx_seen"] == 4
    assert len(out.read_text().splitlines()) == 4
    # The replayed input delivers the last two again: each is in the file once.
    resumed.on_batch([batch(range(4, 6))])
    resumed.on_eof()
    assert signatures_in(out) == sigs(range(6))
    assert_cut_conserved(resumed.snapshot())


def signatures_in(path: Path) -> list[str]:
    import orjson

    return [orjson.loads(line)["signature"] for line in path.read_text().splitlines()]


def test_sync_snapshot_mid_send_rewinds_the_sink_to_where_that_batch_began(
    tmp_path: Path, gates: Callable[[], Gate]
) -> None:
    from connectors.line_sinks import JsonlFileTransport

    gate = gates()
    written = threading.Event()

    class WrittenThenHeld(JsonlFileTransport):
        """Writes the batch, then holds the acknowledgement until the gate opens."""

        def send(self, batch: Batch) -> None:
            super().send(batch)
            if batch.candidates[0].launch.signature == "sig2":
                written.set()
                gate.wait()

    out = tmp_path / "candidates.jsonl"
    config = DeliverySettings(batch_size=2)
    first_metrics = Metrics(CollectorRegistry())
    first = delivery_builder(config, first_metrics, WrittenThenHeld(out), Shutdown())(None)
    first.on_batch([batch(range(4))])
    assert written.wait(HANG_GUARD_S)
    before = len(out.read_text().splitlines())
    assert before == 4  # the second batch is in the file, not yet acknowledged
    state = pickle.loads(pickle.dumps(first.snapshot()))
    gate.open()
    first.on_eof()
    # The snapshot holds the batch in flight, and the sink's position where it began.
    assert signatures(state.buffered) == sigs([2, 3])
    assert state.sink_position == len("".join(out.read_text().splitlines(True)[:2]).encode())

    resumed_metrics = Metrics(CollectorRegistry())
    resumed = delivery_builder(config, resumed_metrics, JsonlFileTransport(out), Shutdown())(state)
    resumed.on_eof()
    assert signatures_in(out) == sigs(range(4)), "each candidate in the file once"
    assert_cut_conserved(resumed.snapshot())
