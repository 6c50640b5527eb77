"""Dedup: which launches survive, what `duplicates` counts, and that memory stays bounded."""

from __future__ import annotations

import pickle
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

import bytewax.operators as op
import pytest
from bytewax.dataflow import Dataflow
from bytewax.testing import TestingSink, TestingSource
from prometheus_client import CollectorRegistry

from domain.metrics import Metrics
from domain.models import CREATE, POOL, Launch
from operators.dedup import DedupLogic, DedupState, dedup_launches
from tests.factories import PartitionedSource, feed_each, named_launch
from tests.jobs import EntryPoint


def launch(
    signature: str, mint: str | None = None, slot: int | None = 1000, event: str = CREATE
) -> Launch:
    return named_launch(signature, mint=mint, slot=slot, event=event)


def created(*mints: str) -> tuple[str, ...]:
    """How dedup remembers these mints' ``create`` launches."""
    return tuple(f"create:{mint}" for mint in mints)


def remembered(state: DedupState) -> DedupState:
    """The signatures and pairs of a snapshot (without the first copies' sources)."""
    return replace(state, firsts=())


def run_logic(logic: DedupLogic, launches: Iterable[Launch]) -> list[str]:
    """Feed `launches` one by one; return the signatures that came out."""
    return [x.signature for x in feed_each(logic, launches)]


@pytest.fixture
def metrics() -> Metrics:
    return Metrics(CollectorRegistry())


def duplicates(metrics: Metrics) -> float:
    value = metrics.registry.get_sample_value("sniffer_duplicates_total")
    assert value is not None
    return value


def test_new_launches_pass_in_order(metrics: Metrics) -> None:
    logic = DedupLogic(10, metrics)
    launches = [launch(f"s{i}", f"m{i}") for i in range(5)]
    assert run_logic(logic, launches) == ["s0", "s1", "s2", "s3", "s4"]
    assert duplicates(metrics) == 0


def test_same_signature_is_dropped_and_counted(metrics: Metrics) -> None:
    logic = DedupLogic(10, metrics)
    out = run_logic(logic, [launch("s1", "m1"), launch("s1", "m1"), launch("s1", "m1")])
    assert out == ["s1"]
    assert duplicates(metrics) == 2


def test_same_mint_under_another_signature_is_dropped(metrics: Metrics) -> None:
    logic = DedupLogic(10, metrics)
    out = run_logic(logic, [launch("s1", "m1"), launch("s2", "m1"), launch("s3", "m3")])
    assert out == ["s1", "s3"]
    assert duplicates(metrics) == 1


def test_a_tokens_create_and_its_later_pool_are_two_candidates(metrics: Metrics) -> None:
    logic = DedupLogic(10, metrics)
    stream = [
        launch("create", "m1"),
        launch("graduation", "m1", event=POOL),  # the token's pool, later: a new candidate
        launch("pool-again", "m1", event=POOL),  # the same pool seen under another signature
        launch("create-again", "m1"),  # the same create seen under another signature
    ]
    assert run_logic(logic, stream) == ["create", "graduation"]
    assert duplicates(metrics) == 2
    assert logic.snapshot().pairs == ("create:m1", "pool:m1")


def test_a_missing_mint_never_dedups_by_mint_whatever_the_event(metrics: Metrics) -> None:
    logic = DedupLogic(10, metrics)
    stream = [launch("s1", None), launch("s2", None, event=POOL), launch("s3", None, event=POOL)]
    assert run_logic(logic, stream) == ["s1", "s2", "s3"]
    assert duplicates(metrics) == 0
    assert logic.snapshot().pairs == ()


def test_launches_without_mint_are_deduplicated_by_signature_only(metrics: Metrics) -> None:
    logic = DedupLogic(10, metrics)
    out = run_logic(logic, [launch("s1", None), launch("s2", None), launch("s1", None)])
    assert out == ["s1", "s2"]
    assert duplicates(metrics) == 1


def test_capacity_three_forgets_the_oldest(metrics: Metrics) -> None:
    logic = DedupLogic(3, metrics)
    run_logic(logic, [launch(f"s{i}", f"m{i}") for i in range(4)])  # s0 is forgotten
    assert remembered(logic.snapshot()) == DedupState(("s1", "s2", "s3"), created("m1", "m2", "m3"))

    # s0/m0 passes again; s3 (still remembered) does not.
    assert run_logic(logic, [launch("s0", "m0"), launch("s3", "m3")]) == ["s0"]
    assert duplicates(metrics) == 1
    # Remembering s0 again pushed out s1, the oldest.
    assert remembered(logic.snapshot()) == DedupState(("s2", "s3", "s0"), created("m2", "m3", "m0"))


def test_signatures_and_mints_are_bounded_separately(metrics: Metrics) -> None:
    logic = DedupLogic(2, metrics)
    run_logic(logic, [launch("s1", "m1"), launch("s2", None), launch("s3", None)])
    # Three signatures, capacity two: s1 is forgotten, but its mint is still remembered.
    assert remembered(logic.snapshot()) == DedupState(("s2", "s3"), created("m1"))
    assert run_logic(logic, [launch("s9", "m1")]) == []


def test_snapshot_is_an_immutable_copy(metrics: Metrics) -> None:
    logic = DedupLogic(10, metrics)
    run_logic(logic, [launch("s1", "m1")])
    before = logic.snapshot()
    run_logic(logic, [launch("s2", "m2")])
    assert remembered(before) == DedupState(("s1",), created("m1"))
    assert isinstance(before.signatures, tuple)


def test_resume_from_snapshot_gives_the_uninterrupted_output(metrics: Metrics) -> None:
    stream = [launch(f"s{i % 7}", f"m{i % 5}") for i in range(30)]
    uninterrupted = run_logic(DedupLogic(4, metrics), stream)

    first = DedupLogic(4, metrics)
    head = run_logic(first, stream[:13])
    state = pickle.loads(pickle.dumps(first.snapshot()))
    tail = run_logic(DedupLogic(4, metrics, state), stream[13:])

    assert head + tail == uninterrupted


def test_resume_with_a_smaller_capacity_keeps_the_newest(metrics: Metrics) -> None:
    state = DedupState(("s1", "s2", "s3"), created("m1", "m2", "m3"))
    logic = DedupLogic(2, metrics, state)
    assert remembered(logic.snapshot()) == DedupState(("s2", "s3"), created("m2", "m3"))


def test_a_snapshot_of_bare_mints_still_blocks_them_under_either_event(metrics: Metrics) -> None:
    # Snapshots taken before dedup knew events remembered bare mints; such a mint was blocked
    # whatever the event, and stays so after the upgrade.
    logic = DedupLogic(10, metrics, DedupState(("s1",), ("m1",)))
    stream = [launch("s2", "m1"), launch("s3", "m1", event=POOL), launch("s4", "m4")]
    assert run_logic(logic, stream) == ["s4"]
    assert logic.snapshot().pairs == ("create:m1", "pool:m1", "create:m4")


# --- in a dataflow ---------------------------------------------------------------------------


def build_flow(source: Any, capacity: int, metrics: Metrics, out: list[Launch]) -> Dataflow:
    flow = Dataflow("dedup_test")
    launches = op.input("in", flow, source)
    keyed = op.key_on("key", launches, lambda _: "launches")
    unique = dedup_launches("dedup", keyed, capacity, metrics)
    op.output("out", op.key_rm("unkey", unique), TestingSink(out))
    return flow


def test_duplicates_across_two_partitions_are_removed_exactly_once(
    entry_point: EntryPoint, metrics: Metrics
) -> None:
    first_feed = [launch("a", "ma"), launch("b", "mb"), launch("c", "mc"), launch("d", "md")]
    second_feed = [
        launch("c", "mc"),
        launch("x", "ma"),  # a new signature for mint "ma": the same token
        launch("d", "md"),
        launch("e", "me"),
    ]
    # `uri` tells which feed a launch came from.
    feeds = {
        name: [replace(x, uri=name) for x in feed]
        for name, feed in (("first", first_feed), ("second", second_feed))
    }
    out: list[Launch] = []
    source = PartitionedSource(feeds, batch_size=2)

    entry_point(build_flow(source, 100, metrics, out))

    signatures = [x.signature for x in out]
    assert sorted(signatures) in (["a", "b", "c", "d", "e"], ["b", "c", "d", "e", "x"])
    assert len(set(signatures)) == len(signatures)
    assert duplicates(metrics) == 3
    # Each feed's survivors keep that feed's order.
    for name, feed in feeds.items():
        from_feed = [x.signature for x in out if x.uri == name]
        assert from_feed == [x.signature for x in feed if x.signature in from_feed]


def test_bounded_dedup_in_a_dataflow(entry_point: EntryPoint, metrics: Metrics) -> None:
    stream = [launch(s, None) for s in ["s0", "s1", "s2", "s3", "s0", "s3"]]
    out: list[Launch] = []

    entry_point(build_flow(TestingSource(stream), 3, metrics, out))

    # s0 was forgotten when s3 arrived (capacity 3), so it passes again; s3 does not.
    assert [x.signature for x in out] == ["s0", "s1", "s2", "s3", "s0"]
    assert duplicates(metrics) == 1


# --- several sources side by side ----------------------------------------------------------------


def sampled(metrics: Metrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


def test_the_first_source_of_a_launch_is_counted_and_the_later_copy_lags(
    metrics: Metrics,
) -> None:
    logic = DedupLogic(10, metrics)
    fast = replace(launch("s1", "m1"), source="yellowstone", arrived_at=100.0)
    slow = replace(fast, source="solana_ws", arrived_at=100.25)
    other = replace(launch("s2", "m2"), source="solana_ws", arrived_at=101.0)

    assert run_logic(logic, [fast, slow, other]) == ["s1", "s2"]

    assert sampled(metrics, "sniffer_source_first_total", source="yellowstone") == 1
    assert sampled(metrics, "sniffer_source_first_total", source="solana_ws") == 1
    assert sampled(metrics, "sniffer_source_lag_seconds_count", source="solana_ws") == 1
    assert sampled(metrics, "sniffer_source_lag_seconds_sum", source="solana_ws") == 0.25
    assert sampled(metrics, "sniffer_source_lag_seconds_count", source="yellowstone") == 0


def test_a_copy_from_the_same_source_is_no_lag(metrics: Metrics) -> None:
    logic = DedupLogic(10, metrics)
    first = replace(launch("s1", "m1"), source="solana_ws")

    run_logic(logic, [first, replace(first, arrived_at=first.arrived_at + 1)])

    assert sampled(metrics, "sniffer_source_lag_seconds_count", source="solana_ws") == 0


def test_the_race_survives_a_resume(metrics: Metrics) -> None:
    first = replace(launch("s1", "m1"), source="yellowstone", arrived_at=5.0)
    before = DedupLogic(10, metrics)
    run_logic(before, [first])

    after = DedupLogic(10, metrics, pickle.loads(pickle.dumps(before.snapshot())))
    run_logic(after, [replace(first, source="solana_ws", arrived_at=5.5)])

    assert sampled(metrics, "sniffer_source_lag_seconds_sum", source="solana_ws") == 0.5
