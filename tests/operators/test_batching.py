"""Batching: what each batch holds and when it is flushed, on a fake clock (no sleeping)."""

from __future__ import annotations

import pickle
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import bytewax.operators as op
import pytest
from bytewax.dataflow import Dataflow
from bytewax.recovery import RecoveryConfig, init_db_dir
from bytewax.testing import TestingSink, TestingSource, TimeTestingGetter, run_main
from prometheus_client import CollectorRegistry

from domain.metrics import Metrics
from domain.models import HIGH, LOW, PUMP_FUN, Batch, Candidate, Launch
from operators.batching import BatchLogic, BatchState, batch_candidates
from operators.dedup import dedup_launches
from operators.filters import FilterSettings, filter_launches
from operators.scoring import ScoringSettings, score_launches
from tests.factories import PartitionedSource
from tests.jobs import EntryPoint

START = datetime(2026, 11, 26, 22, 35, 14, tzinfo=timezone.utc)
TIMEOUT = timedelta(milliseconds=10)
#: A clock for dataflow tests that never lets a deadline pass: only size and end of stream flush.
FAR_FUTURE = datetime(2100, 1, 1, tzinfo=timezone.utc)


def launch(n: int, *, creator: str | None = None, initial_buy_sol: float = 1.0) -> Launch:
    return Launch(
        signature=f"sig{n}",
        slot=1000 + n,
        launchpad=PUMP_FUN,
        mint=f"mint{n}",
        creator=creator if creator is not None else f"creator{n}",
        name=f"Token {n}",
        symbol=f"T{n}",
        uri=None,
        initial_buy_sol=initial_buy_sol,
        arrived_at=1_800_000_000.0 + n,
        detected_at=1_800_000_000.0 + n,
    )


def candidate(n: int, priority: str = HIGH) -> Candidate:
    return Candidate(launch(n), 0.9 if priority == HIGH else 0.1, priority)


def signatures(batch: Batch) -> list[str]:
    return [c.launch.signature for c in batch.candidates]


@pytest.fixture
def clock() -> TimeTestingGetter:
    return TimeTestingGetter(START)


def new_logic(
    clock: TimeTestingGetter, batch_size: int = 3, state: BatchState | None = None
) -> BatchLogic:
    return BatchLogic(HIGH, batch_size, TIMEOUT, clock.get, state)


def feed(logic: BatchLogic, items: Iterable[Candidate]) -> list[Batch]:
    out: list[Batch] = []
    for item in items:
        emitted, _ = logic.on_item(item)
        out.extend(emitted)
    return out


def test_a_full_batch_is_flushed_at_once(clock: TimeTestingGetter) -> None:
    logic = new_logic(clock, batch_size=3)
    batches = feed(logic, [candidate(n) for n in range(7)])
    assert [signatures(b) for b in batches] == [["sig0", "sig1", "sig2"], ["sig3", "sig4", "sig5"]]
    assert all(b.priority == HIGH for b in batches)
    # sig6 waits in an open batch, due one timeout after it arrived.
    assert logic.notify_at() == START + TIMEOUT
    assert logic.snapshot().candidates == (candidate(6),)


def test_no_open_batch_means_no_timer(clock: TimeTestingGetter) -> None:
    logic = new_logic(clock)
    assert logic.notify_at() is None
    feed(logic, [candidate(n) for n in range(3)])
    assert logic.notify_at() is None


def test_the_deadline_counts_from_the_first_item_and_later_items_do_not_move_it(
    clock: TimeTestingGetter,
) -> None:
    logic = new_logic(clock, batch_size=100)
    feed(logic, [candidate(0)])
    clock.advance(timedelta(milliseconds=6))
    feed(logic, [candidate(1)])
    assert logic.notify_at() == START + TIMEOUT

    clock.advance(timedelta(milliseconds=3))  # 9 ms after the first item: not yet
    assert logic.on_notify() == ((), False)
    assert logic.notify_at() == START + TIMEOUT

    clock.advance(timedelta(milliseconds=1))  # exactly 10 ms
    emitted, _ = logic.on_notify()
    assert [signatures(b) for b in emitted] == [["sig0", "sig1"]]
    # Flushed: no timer until the next batch opens, never the past deadline again.
    assert logic.notify_at() is None


def test_opened_at_is_the_clock_time_of_the_first_item(clock: TimeTestingGetter) -> None:
    logic = new_logic(clock, batch_size=2)
    feed(logic, [candidate(0)])
    clock.advance(timedelta(seconds=1))
    [first] = feed(logic, [candidate(1)])
    assert first.opened_at == START.timestamp()

    feed(logic, [candidate(2)])
    assert logic.notify_at() == START + timedelta(seconds=1) + TIMEOUT
    clock.advance(timedelta(seconds=5))
    [second] = logic.on_notify()[0]
    assert second.opened_at == (START + timedelta(seconds=1)).timestamp()


def test_end_of_stream_flushes_the_open_batch(clock: TimeTestingGetter) -> None:
    logic = new_logic(clock, batch_size=10)
    feed(logic, [candidate(n) for n in range(4)])
    emitted, _ = logic.on_eof()
    assert [signatures(b) for b in emitted] == [["sig0", "sig1", "sig2", "sig3"]]
    assert logic.notify_at() is None
    assert list(logic.on_eof()[0]) == []  # nothing open, nothing emitted


def test_order_is_kept_inside_and_across_batches(clock: TimeTestingGetter) -> None:
    logic = new_logic(clock, batch_size=4)
    out = feed(logic, [candidate(n) for n in range(10)])
    clock.advance(TIMEOUT)
    out.extend(logic.on_notify()[0])
    flat = [s for b in out for s in signatures(b)]
    assert flat == [f"sig{n}" for n in range(10)]
    assert [len(b.candidates) for b in out] == [4, 4, 2]


def test_resume_from_snapshot_keeps_the_open_batch_and_its_deadline(
    clock: TimeTestingGetter,
) -> None:
    logic = new_logic(clock, batch_size=3)
    feed(logic, [candidate(0), candidate(1)])
    state = pickle.loads(pickle.dumps(logic.snapshot()))

    clock.advance(timedelta(milliseconds=4))
    resumed = new_logic(clock, batch_size=3, state=state)
    assert resumed.notify_at() == START + TIMEOUT
    [batch] = feed(resumed, [candidate(2)])
    assert signatures(batch) == ["sig0", "sig1", "sig2"]
    assert batch.opened_at == START.timestamp()


def test_resumed_past_deadline_flushes_on_the_first_notify(clock: TimeTestingGetter) -> None:
    logic = new_logic(clock, batch_size=3)
    feed(logic, [candidate(0)])
    state = logic.snapshot()
    clock.advance(timedelta(minutes=5))  # the restart took a while
    resumed = new_logic(clock, state=state)
    [batch] = resumed.on_notify()[0]
    assert signatures(batch) == ["sig0"]


def test_snapshot_is_an_immutable_copy(clock: TimeTestingGetter) -> None:
    logic = new_logic(clock, batch_size=5)
    feed(logic, [candidate(0)])
    before = logic.snapshot()
    feed(logic, [candidate(1)])
    assert before == BatchState((candidate(0),), START, START + TIMEOUT)
    assert new_logic(clock).snapshot() == BatchState()


def test_a_naive_clock_is_refused() -> None:
    logic = BatchLogic(HIGH, 3, TIMEOUT, lambda: datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="tz-aware"):
        logic.on_item(candidate(0))


# --- in a dataflow ---------------------------------------------------------------------------


def test_batches_of_the_right_sizes_in_order(entry_point: EntryPoint) -> None:
    out: list[Batch] = []
    flow = Dataflow("batch_test")
    stream = [candidate(n, LOW) for n in range(10)]
    keyed = op.key_on("key", op.input("in", flow, TestingSource(stream, 3)), lambda _: LOW)
    batches = batch_candidates("batch_low", keyed, LOW, 4, TIMEOUT, lambda: FAR_FUTURE)
    op.output("out", op.key_rm("unkey", batches), TestingSink(out))

    entry_point(flow)

    assert [len(b.candidates) for b in out] == [4, 4, 2]
    assert [s for b in out for s in signatures(b)] == [f"sig{n}" for n in range(10)]
    assert {b.priority for b in out} == {LOW}
    assert {b.opened_at for b in out} == {FAR_FUTURE.timestamp()}


def test_candidate_stage_keeps_each_partitions_order_within_a_priority(
    entry_point: EntryPoint,
) -> None:
    # Two partitions; some launches repeat across them (deduplicated), buys alternate so both
    # priorities get candidates.
    # `uri` tells which feed a launch came from.
    feeds = {
        f"p{p}": [
            replace(launch(n, initial_buy_sol=2.0 if n % 3 else 0.0), uri=f"p{p}")
            for n in range(p * 40, p * 40 + 60)
        ]
        for p in (0, 1)
    }
    metrics = Metrics(CollectorRegistry())
    out: list[Batch] = []
    flow = Dataflow("candidates_test")
    launches = op.input("in", flow, PartitionedSource(feeds, batch_size=5))
    keyed = op.key_on("key", launches, lambda _: "launches")
    unique = dedup_launches("dedup", keyed, 100_000, metrics)
    passed = filter_launches("filter", unique, FilterSettings(), metrics)
    scored = score_launches("score", passed, ScoringSettings())
    by_priority = op.branch("priority", scored, lambda kv: kv[1].priority == HIGH)
    for name, stream, priority in (
        ("batch_high", by_priority.trues, HIGH),
        ("batch_low", by_priority.falses, LOW),
    ):
        batches = batch_candidates(name, stream, priority, 8, TIMEOUT, lambda: FAR_FUTURE)
        op.output(f"out_{name}", op.key_rm(f"unkey_{name}", batches), TestingSink(out))

    entry_point(flow)

    for priority in (HIGH, LOW):
        sent = [c for b in out if b.priority == priority for c in b.candidates]
        assert sent, priority
        assert {c.priority for c in sent} == {priority}
        for name, feed in feeds.items():
            order = {x.signature: i for i, x in enumerate(feed)}
            positions = [order[c.launch.signature] for c in sent if c.launch.uri == name]
            assert positions == sorted(positions)
    every = [c.launch.signature for b in out for c in b.candidates]
    assert sorted(every) == sorted({f"sig{n}" for n in range(100)})
    assert metrics.snapshot()["duplicates"] == 20


def test_a_crash_and_restart_gives_the_uninterrupted_output(tmp_path: Path) -> None:
    """Dedup memory, serial history, EMAs and the open batch all come back from the snapshot."""
    serial = FilterSettings(serial_max_launches=4)
    # 0 1 1 | 2 3 0 4 5 6 7: two duplicates (the second one seen by another source, with another
    # creator); the creator's fifth to eighth launches are serial.
    stream: list[Any] = [launch(n, creator="A") for n in (0, 1, 1, 2, 3, 0, 4, 5, 6, 7)]
    stream[5] = launch(0, creator="B")

    def build(items: list[Any], out: list[Batch]) -> Dataflow:
        metrics = Metrics(CollectorRegistry())
        flow = Dataflow("recovery_test")
        keyed = op.key_on("key", op.input("in", flow, TestingSource(items)), lambda _: "launches")
        unique = dedup_launches("dedup", keyed, 100, metrics)
        passed = filter_launches("filter", unique, serial, metrics)
        scored = score_launches("score", passed, ScoringSettings())
        batches = batch_candidates("batch", scored, HIGH, 3, TIMEOUT, lambda: FAR_FUTURE)
        op.output("out", op.key_rm("unkey", batches), TestingSink(out))
        return flow

    uninterrupted: list[Batch] = []
    run_main(build(stream, uninterrupted))

    # Abort after two candidates wait in an open batch; resume from the recovery store.
    init_db_dir(tmp_path, 1)
    recovery = RecoveryConfig(tmp_path)
    out: list[Batch] = []
    flow = build([*stream[:3], TestingSource.ABORT(), *stream[3:]], out)
    run_main(flow, epoch_interval=timedelta(0), recovery_config=recovery)  # stops at ABORT
    assert out == []
    run_main(flow, epoch_interval=timedelta(0), recovery_config=recovery)

    assert out == uninterrupted
    assert [[c.score for c in b.candidates] for b in out] == [[0.7, 0.5, 0.4333], [0.4]]
