"""The stream buffers: which candidates each drop policy keeps, what it counts, what it
dead-letters, and what the sender side (take/done) and the recovery snapshot see."""

from __future__ import annotations

import threading

import orjson
import pytest
from prometheus_client import CollectorRegistry

from domain.metrics import Metrics
from domain.models import HIGH, LOW, Candidate
from operators.stream_buffer import DropPolicy, Put, StreamBuffers
from tests.factories import DeadLetters, Signalling, make_candidate, metric, signatures

#: Guards joins and event waits against a hang; never reached when the code works.
HANG_GUARD_S = 10.0


@pytest.fixture
def metrics() -> Metrics:
    return Metrics(CollectorRegistry())


def high(*ns: int) -> list[Candidate]:
    return [make_candidate(n, HIGH) for n in ns]


def low(*ns: int) -> list[Candidate]:
    return [make_candidate(n, LOW, score=0.1) for n in ns]


def put_all(buffers: StreamBuffers, candidates: list[Candidate]) -> list[Put]:
    return [buffers.put(c) for c in candidates]


def dropped(metrics: Metrics, priority: str) -> float:
    return metric(metrics, "sniffer_dropped_full_buffer_total", priority=priority)


def backpressure(metrics: Metrics) -> float:
    return metric(metrics, "sniffer_backpressure_events_total")


def depth(metrics: Metrics, priority: str) -> float:
    return metric(metrics, "sniffer_stream_buffer_depth", priority=priority)


@pytest.mark.parametrize("policy", ["drop_newest", "drop_oldest", "block"])
def test_high_and_low_each_hold_capacity_candidates(metrics: Metrics, policy: DropPolicy) -> None:
    buffers = StreamBuffers(2, policy, metrics)
    assert put_all(buffers, high(0, 1) + low(10, 11)) == [Put.ACCEPTED] * 4
    assert (depth(metrics, HIGH), depth(metrics, LOW)) == (2, 2)
    assert backpressure(metrics) == 0

    # A full HIGH buffer does not stop LOW, and the other way round.
    assert buffers.put(high(2)[0]) is not Put.ACCEPTED
    buffers.settle(LOW, buffers.take(LOW, 1))
    assert buffers.put(low(12)[0]) is Put.ACCEPTED
    assert backpressure(metrics) == 1


@pytest.mark.parametrize(
    ("policy", "priority", "outcome", "kept", "evicted"),
    [
        pytest.param("drop_newest", HIGH, Put.DROPPED_NEWEST, [0, 1, 2], [3, 4], id="newest"),
        pytest.param("drop_oldest", LOW, Put.DROPPED_OLDEST, [2, 3, 4], [0, 1], id="oldest"),
    ],
)
def test_a_drop_policy_keeps_capacity_candidates_and_dead_letters_the_rest(
    metrics: Metrics,
    policy: DropPolicy,
    priority: str,
    outcome: Put,
    kept: list[int],
    evicted: list[int],
) -> None:
    """drop_newest keeps the first `capacity` candidates, drop_oldest the last ones."""
    dead = DeadLetters()
    buffers = StreamBuffers(3, policy, metrics, dead)
    results = put_all(buffers, (high if priority == HIGH else low)(0, 1, 2, 3, 4))
    assert results == [Put.ACCEPTED] * 3 + [outcome] * 2
    assert signatures(buffers.contents()) == [f"sig{n}" for n in kept]
    other = LOW if priority == HIGH else HIGH
    assert (dropped(metrics, priority), dropped(metrics, other)) == (2, 0)
    assert backpressure(metrics) == 2
    assert depth(metrics, priority) == 3
    assert dead.entries() == [("dropped_full_buffer", f"sig{n}") for n in evicted]


def test_block_refuses_without_changing_anything(metrics: Metrics) -> None:
    dead = DeadLetters()
    buffers = StreamBuffers(2, "block", metrics, dead)
    put_all(buffers, high(0, 1))
    assert put_all(buffers, high(2, 3)) == [Put.FULL, Put.FULL]
    assert signatures(buffers.contents()) == ["sig0", "sig1"]
    assert dropped(metrics, HIGH) == 0
    assert backpressure(metrics) == 2
    assert depth(metrics, HIGH) == 2
    assert dead.lines == []


def test_without_a_dead_letter_writer_drops_are_still_counted(metrics: Metrics) -> None:
    buffers = StreamBuffers(1, "drop_newest", metrics)
    put_all(buffers, high(0, 1, 2))
    assert dropped(metrics, HIGH) == 2


def test_depth_counts_candidates_in_flight_until_settled(metrics: Metrics) -> None:
    buffers = StreamBuffers(10, "drop_newest", metrics)
    put_all(buffers, high(0, 1, 2) + low(10))
    assert buffers.depth() == 4

    taken = buffers.take(HIGH, 2)
    assert signatures(taken) == ["sig0", "sig1"]
    assert depth(metrics, HIGH) == 3, "taken but not yet sent: still held"
    assert buffers.depth() == 4
    assert buffers.waiting(HIGH) == 1

    buffers.settle(HIGH, taken)
    assert (depth(metrics, HIGH), depth(metrics, LOW)) == (1, 1)
    assert buffers.depth() == 2
    assert not buffers.is_empty()

    taken_high, taken_low = buffers.take(HIGH, 5), buffers.take(LOW, 5)
    buffers.settle(HIGH, taken_high)
    buffers.settle(LOW, taken_low)
    assert buffers.is_empty()
    assert (depth(metrics, HIGH), depth(metrics, LOW)) == (0, 0)


def test_take_hands_out_the_oldest_first_and_nothing_when_empty(metrics: Metrics) -> None:
    buffers = StreamBuffers(10, "drop_newest", metrics)
    assert buffers.take(HIGH, 3) == []
    put_all(buffers, high(0, 1, 2, 3, 4))
    assert signatures(buffers.take(HIGH, 2)) == ["sig0", "sig1"]
    assert signatures(buffers.take(HIGH, 2)) == ["sig2", "sig3"]
    assert signatures(buffers.take(HIGH, 2)) == ["sig4"]
    assert buffers.take(HIGH, 2) == []
    assert buffers.take(LOW, 2) == []


def test_candidates_in_flight_take_room(metrics: Metrics) -> None:
    buffers = StreamBuffers(2, "drop_newest", metrics)
    put_all(buffers, high(0, 1))
    taken = buffers.take(HIGH, 2)
    assert buffers.put(high(2)[0]) is Put.DROPPED_NEWEST
    buffers.settle(HIGH, taken)
    assert buffers.put(high(3)[0]) is Put.ACCEPTED
    assert signatures(buffers.contents()) == ["sig3"]


def test_next_priority_is_high_first(metrics: Metrics) -> None:
    buffers = StreamBuffers(10, "drop_newest", metrics)
    assert buffers.next_priority() is None
    put_all(buffers, low(10))
    assert buffers.next_priority() == LOW
    put_all(buffers, high(0))
    assert buffers.next_priority() == HIGH
    buffers.take(HIGH, 1)
    assert buffers.next_priority() == LOW, "a HIGH candidate in flight is not waiting"
    buffers.take(LOW, 1)
    assert buffers.next_priority() is None


def test_contents_is_everything_held_in_flight_first_and_resumes(metrics: Metrics) -> None:
    buffers = StreamBuffers(10, "drop_newest", metrics)
    put_all(buffers, low(10, 11) + high(0, 1, 2))
    buffers.take(HIGH, 2)
    buffers.take(LOW, 1)
    snapshot = buffers.contents()
    assert isinstance(snapshot, tuple)
    # In flight when the process dies means "maybe not delivered": it stays in the snapshot.
    assert signatures(snapshot) == ["sig0", "sig1", "sig2", "sig10", "sig11"]

    resumed_metrics = Metrics(CollectorRegistry())
    resumed = StreamBuffers(10, "drop_newest", resumed_metrics, contents=snapshot)
    assert signatures(resumed.contents()) == signatures(snapshot)
    assert (depth(resumed_metrics, HIGH), depth(resumed_metrics, LOW)) == (3, 2)
    assert resumed.next_priority() == HIGH
    assert signatures(resumed.take(HIGH, 10)) == ["sig0", "sig1", "sig2"]
    assert signatures(resumed.take(LOW, 10)) == ["sig10", "sig11"]


def test_resumed_contents_are_kept_even_above_a_lowered_capacity(metrics: Metrics) -> None:
    resumed = StreamBuffers(2, "drop_newest", metrics, contents=high(0, 1, 2))
    assert signatures(resumed.contents()) == ["sig0", "sig1", "sig2"]
    assert dropped(metrics, HIGH) == 0
    assert resumed.put(high(3)[0]) is Put.DROPPED_NEWEST


def test_drop_oldest_never_drops_a_candidate_in_flight(metrics: Metrics) -> None:
    dead = DeadLetters()
    buffers = StreamBuffers(2, "drop_oldest", metrics, dead)
    put_all(buffers, high(0, 1))
    buffers.take(HIGH, 1)  # sig0 is being sent
    assert buffers.put(high(2)[0]) is Put.DROPPED_OLDEST
    assert signatures(buffers.contents()) == ["sig0", "sig2"]
    assert dead.entries() == [("dropped_full_buffer", "sig1")]


def test_drop_oldest_with_everything_in_flight_drops_the_newcomer(metrics: Metrics) -> None:
    dead = DeadLetters()
    buffers = StreamBuffers(2, "drop_oldest", metrics, dead)
    put_all(buffers, high(0, 1))
    buffers.take(HIGH, 2)
    assert buffers.put(high(2)[0]) is Put.DROPPED_NEWEST
    assert signatures(buffers.contents()) == ["sig0", "sig1"]
    assert dropped(metrics, HIGH) == 1
    assert backpressure(metrics) == 1
    assert dead.entries() == [("dropped_full_buffer", "sig2")]


def test_a_dead_letter_line_carries_the_whole_candidate(metrics: Metrics) -> None:
    dead = DeadLetters()
    buffers = StreamBuffers(1, "drop_newest", metrics, dead)
    put_all(buffers, high(0, 7))
    (line,) = dead.lines
    record = orjson.loads(line)
    assert record["kind"] == "candidate"
    assert record["reason"] == "dropped_full_buffer"
    assert record["candidate"] == make_candidate(7, HIGH).to_json()


def test_put_when_room_waits_for_a_sender_to_make_room(metrics: Metrics) -> None:
    found_full = threading.Event()
    metrics.backpressure_events = Signalling(metrics.backpressure_events, found_full)  # type: ignore[assignment]
    buffers = StreamBuffers(2, "block", metrics)
    put_all(buffers, high(0, 1))

    producer = threading.Thread(target=buffers.put_when_room, args=(high(2)[0],))
    producer.start()
    try:
        assert found_full.wait(HANG_GUARD_S)
        assert signatures(buffers.contents()) == ["sig0", "sig1"]

        taken = buffers.take(HIGH, 1)
        # Taken is not sent: the candidate in flight still holds its place.
        assert signatures(buffers.contents()) == ["sig0", "sig1"]

        buffers.settle(HIGH, taken)
        producer.join(HANG_GUARD_S)
        assert not producer.is_alive()
    finally:
        # Unblock the producer whatever happened, so a failure cannot hang the test run.
        buffers.take(HIGH, 10)
        buffers.settle(HIGH, list(buffers.contents()))
        producer.join(HANG_GUARD_S)

    assert backpressure(metrics) == 1
    assert dropped(metrics, HIGH) == 0


def test_put_when_room_with_room_is_a_plain_put(metrics: Metrics) -> None:
    buffers = StreamBuffers(2, "block", metrics)
    buffers.put_when_room(high(0)[0])
    assert signatures(buffers.contents()) == ["sig0"]
    assert backpressure(metrics) == 0


def test_a_refused_candidate_placed_when_room_counts_one_backpressure_event(
    metrics: Metrics,
) -> None:
    # Found by the send-path tests: the send step offered a candidate (`put`: FULL, one event)
    # and then waited with `put_when_room`, which offered it again (a second event).
    buffers = StreamBuffers(1, "block", metrics)
    put_all(buffers, high(0))
    refused = high(1)[0]
    assert buffers.put(refused) is Put.FULL
    buffers.settle(HIGH, buffers.take(HIGH, 1))  # a sender made room
    assert buffers.place_when_room(refused)
    assert signatures(buffers.contents()) == ["sig1"]
    assert backpressure(metrics) == 1


def test_place_when_room_gives_up_without_changing_anything(metrics: Metrics) -> None:
    buffers = StreamBuffers(1, "block", metrics)
    put_all(buffers, high(0))
    assert not buffers.place_when_room(high(1)[0], give_up=lambda: True)
    assert signatures(buffers.contents()) == ["sig0"]
    assert backpressure(metrics) == 0


def test_drain_all_takes_everything_waiting(metrics: Metrics) -> None:
    buffers = StreamBuffers(10, "drop_newest", metrics)
    put_all(buffers, low(10) + high(0, 1))
    buffers.take(HIGH, 1)
    left = buffers.drain_all()
    assert signatures(left) == ["sig1", "sig10"]
    assert signatures(buffers.contents()) == ["sig0"], "the one in flight is still held"
    assert (depth(metrics, HIGH), depth(metrics, LOW)) == (1, 0)
