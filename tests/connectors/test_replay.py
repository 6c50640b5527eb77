"""The replay source: lines of a file as frames, blank lines skipped, throttling, resume."""

from __future__ import annotations

from datetime import timezone
from pathlib import Path

import bytewax.operators as op
import pytest
from bytewax.dataflow import Dataflow
from bytewax.testing import TestingSink

from connectors.replay import ReplayPartition, ReplaySource
from domain.models import RawFrame
from tests.jobs import EntryPoint


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines))
    return path


def drain(part: ReplayPartition) -> list[RawFrame]:
    frames: list[RawFrame] = []
    while True:
        try:
            frames.extend(part.next_batch())
        except StopIteration:
            return frames


def test_every_line_once_blank_lines_skipped(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "f.jsonl", ['{"a":1}', "", "   ", '{"a":2}', "not json"])
    part = ReplaySource(path).build_part("s", "replay-0", None)
    frames = drain(part)
    assert [f.payload for f in frames] == [b'{"a":1}', b'{"a":2}', b"not json"]
    assert {f.source for f in frames} == {"replay"}  # the candidates' ``source`` field


def test_resume_from_snapshot_continues_after_the_last_line(tmp_path: Path) -> None:
    lines = [f'{{"n":{i}}}' for i in range(1500)]
    path = write_lines(tmp_path / "f.jsonl", lines)
    first = ReplaySource(path).build_part("s", "replay-0", None)
    taken = list(first.next_batch())  # one batch of at most 512
    state = first.snapshot()
    first.close()
    rest = drain(ReplaySource(path).build_part("s", "replay-0", state))
    assert [f.payload.decode() for f in taken + rest] == lines  # type: ignore[union-attr]


def test_rate_is_a_schedule_driven_by_the_clock(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "f.jsonl", [f'{{"n":{i}}}' for i in range(100)])
    now = [1000.0]
    part = ReplaySource(path, rate=10.0, clock=lambda: now[0]).build_part("s", "replay-0", None)
    assert len(part.next_batch()) == 1  # the first frame is due at once
    assert part.next_batch() == []  # nothing else is due yet
    awake = part.next_awake()  # the second frame is due a tenth of a second after the first
    assert awake is not None and awake.tzinfo is timezone.utc
    assert abs(awake.timestamp() - 1000.1) < 0.001
    now[0] = 1001.0  # a second later, ten frames are due
    assert len(part.next_batch()) == 10


def test_through_bytewax(tmp_path: Path, entry_point: EntryPoint) -> None:
    lines = [f'{{"n":{i}}}' for i in range(2000)]
    path = write_lines(tmp_path / "f.jsonl", lines)
    out: list[RawFrame] = []
    flow = Dataflow("replay_test")
    op.output("out", op.input("in", flow, ReplaySource(path)), TestingSink(out))
    entry_point(flow)
    assert [f.payload.decode() for f in out] == lines  # type: ignore[union-attr]


@pytest.mark.parametrize("partitions", [2, 3, 7])
def test_partitions_share_the_lines_exactly_once_each_in_order(
    tmp_path: Path, partitions: int
) -> None:
    lines = [f'{{"n":{i},"pad":"{"x" * (i % 37)}"}}' for i in range(1000)]
    path = write_lines(tmp_path / "f.jsonl", lines)
    source = ReplaySource(path, partitions=partitions)
    assert source.list_parts() == [f"replay-{p}" for p in range(partitions)]
    played = [drain(source.build_part("s", name, None)) for name in source.list_parts()]
    assert all(played), "every partition has a share"
    union = [f.payload.decode() for part in played for f in part]  # type: ignore[union-attr]
    assert union == lines  # each line once; partition p's lines come before p+1's, in order


def test_a_partition_resumes_inside_its_own_range(tmp_path: Path) -> None:
    lines = [f'{{"n":{i}}}' for i in range(3000)]
    path = write_lines(tmp_path / "f.jsonl", lines)
    source = ReplaySource(path, partitions=2)
    whole = [f.payload for f in drain(source.build_part("s", "replay-1", None))]
    part = source.build_part("s", "replay-1", None)
    first = [f.payload for f in part.next_batch()]
    rest = [f.payload for f in drain(source.build_part("s", "replay-1", part.snapshot()))]
    assert first + rest == whole
