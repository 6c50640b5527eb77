"""The synthetic source: the job's embedded default, realistic Solana frames without a network.

`SyntheticSource` emits frames ``g = p, p + n, p + 2n, ...`` of the stream `fakechain.generator`
defines from partition ``p`` of ``n``. A partition's resume state is the number of frames it has
emitted, so a resumed run regenerates exactly the frames an uninterrupted run would have sent, at
any rate.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

from bytewax.inputs import FixedPartitionedSource, StatefulSourcePartition

from domain.models import RawFrame
from fakechain.generator import (
    DEFAULT_LAUNCH_RATIO,
    frames_of_partition,
    generator_for,
    launch_shares,
)

#: Frames per `next_batch` when unthrottled, and the cap per batch when throttled.
DEFAULT_BATCH_SIZE = 512


class SyntheticPartition(StatefulSourcePartition[RawFrame, int]):
    """Partition ``p`` of ``n``: emits frames ``g = p + k * n`` for ``k = position, ...``.

    The snapshot is ``k``, the number of frames this partition has emitted so far. With a rate,
    frame ``k`` is due ``(k - resumed_at) / rate`` seconds after the partition was built; a
    partition that fell behind (a stalled dataflow) catches up in capped batches, the way a
    backlog arrives after a reconnect.
    """

    def __init__(self, source: SyntheticSource, partition: int, position: int) -> None:
        n = source.partitions
        self._partition, self._partitions = partition, n
        self._position = self._start_position = position
        self._stream = (source.seed, source.launch_ratio, n, source.launchpad_mix)
        total = source.total
        self._count = None if total is None else frames_of_partition(total, partition, n)
        self._per_second = source.rate / n
        self._clock = source.clock
        self._batch_size = source.batch_size
        self._started = source.clock()

    def next_batch(self) -> list[RawFrame]:
        k = self._position
        end = k + self._batch_size
        if self._count is not None:
            if k >= self._count:
                raise StopIteration
            end = min(end, self._count)
        now = self._clock()
        if self._per_second > 0:
            # frame k is due at started + (k - start_position) / rate; 1 us of slack absorbs the
            # rounding of epoch-sized floats, so a frame is never late for its own due time
            elapsed = (now - self._started + 1e-6) * self._per_second
            due = self._start_position + math.floor(elapsed) + 1
            end = min(end, due)
            if end <= k:
                return []
        # the generator (and its caches) belongs to the thread that runs this batch
        payload = generator_for(*self._stream).payload
        p, n = self._partition, self._partitions
        batch = [RawFrame(payload(p + i * n), now, "synthetic") for i in range(k, end)]
        self._position = end
        return batch

    def next_awake(self) -> datetime | None:
        if self._per_second <= 0:
            return None
        if self._count is not None and self._position >= self._count:
            return None
        due = self._started + (self._position - self._start_position) / self._per_second
        return datetime.fromtimestamp(due, tz=timezone.utc)

    def snapshot(self) -> int:
        return self._position


@dataclass(eq=False)
class SyntheticSource(FixedPartitionedSource[RawFrame, int]):
    """Realistic Solana ``logsNotification`` frames, generated, with no network.

    :arg rate: frames per second over all partitions (each partition runs ``rate / partitions``
        on a fixed schedule); 0 = as fast as possible.
    :arg launch_ratio: share of frames that are successful launches (see the module doc for the
        whole mix).
    :arg total: end of stream after exactly this many frames over all partitions; None = endless.
    :arg seed: same seed, same frames (byte for byte, same order per partition) at any rate.
    :arg partitions: partitions ``synthetic-0 .. synthetic-{n-1}``; frame ``g`` is in ``g % n``.
    :arg clock: stamps `RawFrame.arrived_at` and drives the rate schedule.
    :arg batch_size: frames per `next_batch` when unthrottled; the cap per batch otherwise.
    :arg launchpad_mix: launchpad name -> share of the launches (scaled to sum to 1; launchpads
        without an encoder are left out); None = `fakechain.generator.DEFAULT_LAUNCHPAD_MIX`.
    """

    rate: float = 0.0
    launch_ratio: float = DEFAULT_LAUNCH_RATIO
    total: int | None = None
    seed: int = 1
    partitions: int = 1
    clock: Callable[[], float] = time.time
    batch_size: int = DEFAULT_BATCH_SIZE
    launchpad_mix: Mapping[str, float] | None = None

    def __post_init__(self) -> None:
        problems = []
        if not (self.rate >= 0 and math.isfinite(self.rate)):
            problems.append(f"rate={self.rate!r}: must be a finite number >= 0")
        if not 0.0 <= self.launch_ratio <= 1.0:
            problems.append(f"launch_ratio={self.launch_ratio!r}: must be between 0 and 1")
        if self.total is not None and self.total < 0:
            problems.append(f"total={self.total!r}: must be >= 0 or None")
        if self.partitions < 1:
            problems.append(f"partitions={self.partitions!r}: must be >= 1")
        if self.batch_size < 1:
            problems.append(f"batch_size={self.batch_size!r}: must be >= 1")
        try:
            launch_shares(self.launchpad_mix)
        except ValueError as exc:
            problems.append(str(exc))
        if problems:
            raise ValueError("; ".join(problems))
        if self.launchpad_mix is not None:
            self.launchpad_mix = dict(self.launchpad_mix)
        self.rate = float(self.rate)

    def partition_names(self) -> list[str]:
        return [f"synthetic-{i}" for i in range(self.partitions)]

    def list_parts(self) -> list[str]:
        # Every worker can generate every partition; Bytewax assigns each to one worker.
        return self.partition_names()

    def build_part(
        self, step_id: str, for_part: str, resume_state: int | None
    ) -> SyntheticPartition:
        prefix, _, number = for_part.rpartition("-")
        if prefix != "synthetic" or not number.isdigit() or int(number) >= self.partitions:
            raise ValueError(f"{for_part!r} is not a partition of this source")
        return SyntheticPartition(self, int(number), resume_state or 0)
