"""`SyntheticSource` as a Bytewax source: partitions, end of stream, resume, rate schedule."""

from __future__ import annotations

import pickle
from datetime import datetime, timedelta, timezone
from pathlib import Path

import bytewax.operators as op
import pytest
from bytewax.dataflow import Dataflow
from bytewax.inputs import AbortExecution, StatefulSourcePartition
from bytewax.recovery import RecoveryConfig, init_db_dir
from bytewax.testing import TestingSink, run_main

from domain.models import RawFrame
from fakechain import SyntheticSource, frames_of_partition, generate
from fakechain.source import DEFAULT_BATCH_SIZE, SyntheticPartition
from tests.jobs import run_two_workers

SEED = 31


class FakeClock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def drain(part: StatefulSourcePartition[RawFrame, int], limit: int = 10**6) -> list[RawFrame]:
    out: list[RawFrame] = []
    for _ in range(limit):
        try:
            out.extend(part.next_batch())
        except StopIteration:
            return out
    raise AssertionError("the partition never ended")


def expected(partition: int, partitions: int, total: int, ratio: float = 0.01) -> list[bytes]:
    return [
        generate(SEED, g, ratio, partitions).payload for g in range(partition, total, partitions)
    ]


def payloads(frames: list[RawFrame]) -> list[bytes]:
    return [f.payload if isinstance(f.payload, bytes) else f.payload.encode() for f in frames]


# --- partitions and the end of the stream ----------------------------------------------------


def test_partition_names() -> None:
    source = SyntheticSource(seed=SEED, partitions=3)
    assert source.list_parts() == ["synthetic-0", "synthetic-1", "synthetic-2"]
    with pytest.raises(ValueError):
        source.build_part("inp", "synthetic-3", None)
    with pytest.raises(ValueError):
        source.build_part("inp", "other-0", None)


def test_partitions_share_the_stream_without_overlap() -> None:
    total, n = 1000, 3
    source = SyntheticSource(total=total, seed=SEED, partitions=n, batch_size=64)
    union: list[bytes] = []
    for p, name in enumerate(source.list_parts()):
        got = payloads(drain(source.build_part("inp", name, None)))
        assert got == expected(p, n, total)
        union.extend(got)
    assert len(union) == total
    assert sorted(union) == sorted(generate(SEED, g, partitions=n).payload for g in range(total))


def test_total_ends_each_partition_after_its_share() -> None:
    assert [frames_of_partition(10, p, 4) for p in range(4)] == [3, 3, 2, 2]
    assert frames_of_partition(2, 3, 4) == 0
    source = SyntheticSource(total=10, seed=SEED, partitions=4)
    for p, name in enumerate(source.list_parts()):
        part = source.build_part("inp", name, None)
        assert len(part.next_batch()) == [3, 3, 2, 2][p]
        for _ in range(2):  # and it stays ended
            with pytest.raises(StopIteration):
                part.next_batch()
    empty = SyntheticSource(total=0, seed=SEED).build_part("inp", "synthetic-0", None)
    with pytest.raises(StopIteration):
        empty.next_batch()


def test_unthrottled_batches_are_big() -> None:
    part = SyntheticSource(seed=SEED).build_part("inp", "synthetic-0", None)
    assert part.next_awake() is None
    batch = part.next_batch()
    assert len(batch) == DEFAULT_BATCH_SIZE
    assert part.next_awake() is None
    assert part.snapshot() == DEFAULT_BATCH_SIZE


# --- resume ----------------------------------------------------------------------------------


@pytest.mark.parametrize("stop_after", [0, 1, 7, 64, 333])
def test_resume_from_a_snapshot_continues_exactly(stop_after: int) -> None:
    total, n = 2000, 2
    source = SyntheticSource(total=total, seed=SEED, partitions=n, batch_size=7)
    first = source.build_part("inp", "synthetic-1", None)
    taken: list[RawFrame] = []
    while len(taken) < stop_after:
        taken.extend(first.next_batch())
    state = first.snapshot()
    assert state == len(taken)
    state = pickle.loads(pickle.dumps(state))  # what Bytewax stores
    resumed = source.build_part("inp", "synthetic-1", state)
    assert payloads(taken) + payloads(drain(resumed)) == expected(1, n, total)


def test_resume_at_the_end_stops_at_once() -> None:
    source = SyntheticSource(total=10, seed=SEED, partitions=2)
    with pytest.raises(StopIteration):
        source.build_part("inp", "synthetic-0", 5).next_batch()


# --- the rate schedule (an injected clock, never the wall clock) -----------------------------


def test_rate_schedule_with_an_injected_clock() -> None:
    clock = FakeClock()
    start = clock.now
    source = SyntheticSource(rate=100, seed=SEED, partitions=2, clock=clock, batch_size=8)
    part = source.build_part("inp", "synthetic-1", None)  # 50 frames/s
    assert part.next_awake() == datetime.fromtimestamp(start, tz=timezone.utc)
    frames = part.next_batch()
    assert len(frames) == 1 and frames[0].arrived_at == start
    assert part.next_awake() == datetime.fromtimestamp(start + 0.02, tz=timezone.utc)
    assert part.next_batch() == []  # nothing due yet
    clock.now = start + 0.1  # frames 1..5 are due
    batch = part.next_batch()
    assert len(batch) == 5 and {f.arrived_at for f in batch} == {start + 0.1}
    frames += batch
    assert part.next_awake() == datetime.fromtimestamp(start + 6 / 50, tz=timezone.utc)
    clock.now = start + 10  # 500 due: capped at a batch, then the rest right away
    batch = part.next_batch()
    assert len(batch) == 8
    awake = part.next_awake()
    assert awake is not None and awake.timestamp() < clock.now
    frames += batch
    while len(frames) < 501:
        batch = part.next_batch()
        assert 0 < len(batch) <= 8
        frames += batch
    assert len(frames) == 501 and part.next_batch() == []
    assert part.next_awake() == datetime.fromtimestamp(start + 501 / 50, tz=timezone.utc)
    # the same frames as unthrottled, in the same order
    assert payloads(frames) == expected(1, 2, 1002)


def test_rate_resume_restarts_the_schedule_at_build_time() -> None:
    clock = FakeClock(500.0)
    source = SyntheticSource(rate=10, total=100, seed=SEED, clock=clock)
    part = source.build_part("inp", "synthetic-0", 40)
    assert part.next_awake() == datetime.fromtimestamp(500.0, tz=timezone.utc)
    assert payloads(part.next_batch()) == [generate(SEED, 40).payload]
    clock.now = 500.25
    assert payloads(part.next_batch()) == [generate(SEED, 41).payload, generate(SEED, 42).payload]
    clock.now = 10_000.0
    assert len(drain(part)) == 57
    assert part.next_awake() is None  # ended: nothing to wait for


def test_rate_is_shared_by_the_partitions() -> None:
    clock = FakeClock(0.0)
    source = SyntheticSource(rate=1000, seed=SEED, partitions=4, clock=clock)
    parts = [source.build_part("inp", name, None) for name in source.list_parts()]
    for part in parts:
        part.next_batch()
    clock.now = 1.0
    assert sum(len(part.next_batch()) for part in parts) == 1000


# --- configuration ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"rate": -1.0},
        {"rate": float("nan")},
        {"rate": float("inf")},
        {"launch_ratio": 1.5},
        {"launch_ratio": -0.1},
        {"total": -1},
        {"partitions": 0},
        {"batch_size": 0},
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        SyntheticSource(**kwargs)  # type: ignore[arg-type]


def test_the_job_maps_the_synthetic_settings() -> None:
    """The job builds the source from the ``synthetic_*`` settings (there is no from_config)."""
    from prometheus_client import CollectorRegistry

    from domain.config import SnifferConfig
    from domain.metrics import Metrics
    from flows.endpoints import make_source

    # model_construct: no validation and no SNIFFER_* environment, only these values
    config = SnifferConfig.model_construct(
        synthetic_rate=0.0,
        synthetic_launch_ratio=0.2,
        synthetic_total=5,
        synthetic_seed=SEED,
        synthetic_partitions=2,
        source=["synthetic"],
    )
    source = make_source(config, Metrics(CollectorRegistry()))
    assert isinstance(source, SyntheticSource)
    assert (source.rate, source.launch_ratio, source.total, source.seed, source.partitions) == (
        0.0,
        0.2,
        5,
        SEED,
        2,
    )


def test_partitions_are_independent_objects() -> None:
    source = SyntheticSource(total=20, seed=SEED, partitions=2)
    a = source.build_part("inp", "synthetic-0", None)
    b = source.build_part("inp", "synthetic-0", None)
    assert isinstance(a, SyntheticPartition) and a is not b
    assert payloads(drain(a)) == payloads(drain(b))


# --- through Bytewax -------------------------------------------------------------------------


def build_flow(source: SyntheticSource, out: list[RawFrame]) -> Dataflow:
    flow = Dataflow("synthetic_source_test")
    frames = op.input("inp", flow, source)
    op.output("out", frames, TestingSink(out))
    return flow


def check_arrivals(out: list[RawFrame], total: int, partitions: int) -> None:
    got = payloads(out)
    every = [generate(SEED, g, partitions=partitions).payload for g in range(total)]
    assert sorted(got) == sorted(every), "frames lost, added or delivered twice"
    assert all(isinstance(f.arrived_at, float) for f in out)
    for p in range(partitions):  # each partition's frames arrive in its order
        remaining = iter(got)
        assert all(x in remaining for x in every[p::partitions]), f"partition {p} out of order"


def test_run_main_single_worker() -> None:
    out: list[RawFrame] = []
    run_main(build_flow(SyntheticSource(total=3000, seed=SEED, partitions=3), out))
    check_arrivals(out, 3000, 3)


def test_cluster_main_two_workers_two_partitions() -> None:
    out: list[RawFrame] = []
    flow = build_flow(SyntheticSource(total=3000, seed=SEED, partitions=2, batch_size=100), out)
    run_two_workers(flow)
    check_arrivals(out, 3000, 2)


class _AbortOnce(SyntheticSource):
    """Kills the run once a partition has emitted `after` frames, as a crash would."""

    def __init__(self, after: int, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.after = after

    def build_part(
        self, step_id: str, for_part: str, resume_state: int | None
    ) -> SyntheticPartition:
        part = super().build_part(step_id, for_part, resume_state)
        after = self.after
        real_next_batch = part.next_batch

        def next_batch() -> list[RawFrame]:
            if part.snapshot() >= after:
                raise AbortExecution()
            return real_next_batch()

        part.next_batch = next_batch  # type: ignore[method-assign]
        return part


def test_recovery_resumes_where_the_snapshot_left_off(tmp_path: Path) -> None:
    total = 2000
    init_db_dir(tmp_path, 1)
    recovery = RecoveryConfig(str(tmp_path))
    first: list[RawFrame] = []
    crashing = _AbortOnce(600, total=total, seed=SEED, batch_size=50)
    # an abort ends the execution at once, without an end-of-stream
    run_main(build_flow(crashing, first), epoch_interval=timedelta(0), recovery_config=recovery)
    assert 0 < len(first) < total
    second: list[RawFrame] = []
    run_main(
        build_flow(SyntheticSource(total=total, seed=SEED, batch_size=50), second),
        epoch_interval=timedelta(0),
        recovery_config=recovery,
    )
    everything = expected(0, 1, total)
    resumed = payloads(second)
    # The second run starts at a snapshot (at or before where the first stopped) and goes on
    # without a gap to the end: at-least-once, nothing lost.
    assert 0 < len(resumed) < total
    assert resumed == everything[total - len(resumed) :]
    assert len(first) + len(resumed) >= total
