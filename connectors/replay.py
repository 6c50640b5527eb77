"""The replay source: a file of recorded frames, one JSON document a line, played back as is.

Any of the contract's three frame formats may appear in the file, mixed. Blank lines are skipped
and not counted. Lines are handed on as bytes without parsing: decoding (and deciding what is
invalid) is the detection step's job, so a bad line here is counted there like any bad frame.

The resume state is the byte offset of the next line, so a restarted job continues exactly after
the last line of the last completed epoch.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bytewax.inputs import FixedPartitionedSource, StatefulSourcePartition

from domain.models import RawFrame

#: Lines handed to Bytewax per `next_batch` when unthrottled: large batches are Bytewax's
#: biggest throughput knob (one item per batch runs about 8x slower than 64).
MAX_BATCH = 512


class ReplaySource(FixedPartitionedSource[RawFrame, int]):
    """Plays `path` back at `rate` frames per second (0 = as fast as possible)."""

    def __init__(
        self, path: Path, rate: float = 0.0, clock: Callable[[], float] = time.time
    ) -> None:
        self._path = path
        self._rate = rate
        self._clock = clock

    def list_parts(self) -> list[str]:
        return ["replay-0"]

    def build_part(self, step_id: str, for_part: str, resume_state: int | None) -> ReplayPartition:
        return ReplayPartition(self._path, self._rate, self._clock, resume_state or 0)


class ReplayPartition(StatefulSourcePartition[RawFrame, int]):
    def __init__(self, path: Path, rate: float, clock: Callable[[], float], offset: int) -> None:
        self._file = path.open("rb")
        self._file.seek(offset)
        self._offset = offset
        self._clock = clock
        self._interval = 1.0 / rate if rate > 0 else 0.0
        # Schedule of the throttled replay: frame k is due at `_started + k * _interval`.
        self._started = clock()
        self._emitted = 0

    def next_batch(self) -> list[RawFrame]:
        now = self._clock()
        if self._interval:
            due = int((now - self._started) / self._interval) + 1 - self._emitted
            budget = max(0, min(due, MAX_BATCH))
        else:
            budget = MAX_BATCH
        frames: list[RawFrame] = []
        while len(frames) < budget:
            line = self._file.readline()
            if not line:
                if frames:
                    break
                raise StopIteration
            self._offset += len(line)
            payload = line.strip()
            if payload:
                frames.append(RawFrame(payload, now))
        self._emitted += len(frames)
        return frames

    def next_awake(self) -> datetime | None:
        if not self._interval:
            return None
        due = self._started + self._emitted * self._interval
        return datetime.fromtimestamp(due, tz=timezone.utc) + timedelta(microseconds=1)

    def snapshot(self) -> int:
        return self._offset

    def close(self) -> None:
        self._file.close()
