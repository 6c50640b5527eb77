"""The replay source: a file of recorded frames, one JSON document a line, played back as is.

Any of the contract's three frame formats may appear in the file, mixed. Blank lines are skipped
and not counted. Lines are handed on as bytes without parsing: decoding (and deciding what is
invalid) is the detection step's job, so a bad line here is counted there like any bad frame.

The resume state is the byte offset of the next line, so a restarted job continues exactly after
the last line of the last completed epoch.

With several partitions, partition p of n plays the lines that start in the p-th n-th of the file
(by bytes), so a cluster shares the parsing; each partition keeps its own order.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bytewax.inputs import FixedPartitionedSource, StatefulSourcePartition

from domain.models import RawFrame

#: The ``source`` setting's name for this source, carried by every frame (the ``source`` output
#: field).
SOURCE_NAME = "replay"

#: Lines handed to Bytewax per `next_batch` when unthrottled: large batches are Bytewax's
#: biggest throughput knob (one item per batch runs about 8x slower than 64).
MAX_BATCH = 512

_READ_BLOCK = 1 << 20


class ReplaySource(FixedPartitionedSource[RawFrame, int]):
    """Plays `path` back at `rate` frames per second (0 = as fast as possible)."""

    def __init__(
        self,
        path: Path,
        rate: float = 0.0,
        clock: Callable[[], float] = time.time,
        partitions: int = 1,
    ) -> None:
        if partitions < 1:
            raise ValueError(f"partitions={partitions}: must be at least 1")
        self._path = path
        self._rate = rate
        self._clock = clock
        self._partitions = partitions

    def list_parts(self) -> list[str]:
        return [f"replay-{p}" for p in range(self._partitions)]

    def build_part(self, step_id: str, for_part: str, resume_state: int | None) -> ReplayPartition:
        index = int(for_part.rsplit("-", 1)[1])
        start, end = self._byte_range(index)
        return ReplayPartition(
            self._path,
            self._rate / self._partitions,
            self._clock,
            start if resume_state is None else resume_state,
            end,
        )

    def _byte_range(self, index: int) -> tuple[int, int]:
        """Partition `index` plays the lines that start in [start, end)."""
        size = self._path.stat().st_size
        return (
            _line_start_at_or_after(self._path, size * index // self._partitions),
            _line_start_at_or_after(self._path, size * (index + 1) // self._partitions),
        )


def _line_start_at_or_after(path: Path, position: int) -> int:
    if position == 0:
        return 0
    with path.open("rb") as f:
        f.seek(position - 1)
        f.readline()  # finish the line that `position - 1` is in
        return f.tell()


class ReplayPartition(StatefulSourcePartition[RawFrame, int]):
    def __init__(
        self,
        path: Path,
        rate: float,
        clock: Callable[[], float],
        offset: int,
        end: int | None = None,
    ) -> None:
        self._file = path.open("rb")
        self._file.seek(offset)
        #: Byte offset of the next line to hand out (the resume state).
        self._offset = offset
        self._end = end
        self._clock = clock
        self._interval = 1.0 / rate if rate > 0 else 0.0
        # Schedule of the throttled replay: frame k is due at `_started + k * _interval`.
        self._started = clock()
        self._emitted = 0
        # The file is read in large blocks and split, not line by line: `readline` per frame
        # cost more than Bytewax's own handling of the frame.
        self._lines: list[bytes] = []
        self._next = 0
        self._carry = b""
        self._at_eof = False

    def next_batch(self) -> list[RawFrame]:
        now = self._clock()
        if self._interval:
            due = int((now - self._started) / self._interval) + 1 - self._emitted
            budget = max(0, min(due, MAX_BATCH))
        else:
            budget = MAX_BATCH
        frames: list[RawFrame] = []
        while len(frames) < budget:
            if self._end is not None and self._offset >= self._end:
                line = None  # the next line belongs to the next partition
            else:
                line = self._next_line()
            if line is None:
                if frames:
                    break
                raise StopIteration
            payload = line.strip()
            if payload:
                frames.append(RawFrame(payload, now, SOURCE_NAME))
        self._emitted += len(frames)
        return frames

    def _next_line(self) -> bytes | None:
        """The next line without its newline (advancing the offset past it), or None at EOF."""
        if self._next >= len(self._lines) and not self._refill():
            return None
        line = self._lines[self._next]
        self._next += 1
        self._offset += len(line) + 1
        return line

    def _refill(self) -> bool:
        while not self._at_eof:
            block = self._file.read(_READ_BLOCK)
            if not block:
                self._at_eof = True
                break
            lines = (self._carry + block).split(b"\n")
            self._carry = lines.pop()  # an unfinished line waits for the next block
            if lines:
                self._lines, self._next = lines, 0
                return True
        if self._carry:
            # The last line has no newline: hand it out, and count no newline after it.
            self._lines, self._next = [self._carry], 0
            self._offset -= 1
            self._carry = b""
            return True
        return False

    def next_awake(self) -> datetime | None:
        if not self._interval:
            return None
        due = self._started + self._emitted * self._interval
        return datetime.fromtimestamp(due, tz=timezone.utc) + timedelta(microseconds=1)

    def snapshot(self) -> int:
        return self._offset

    def close(self) -> None:
        self._file.close()
