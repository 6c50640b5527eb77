"""The ``yellowstone`` source as Bytewax sees it: one partition per endpoint, resumed at the last
slot the dataflow took."""

from __future__ import annotations

import os
import random
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from bytewax.inputs import FixedPartitionedSource, StatefulSourcePartition

from connectors._support.url_secrets import redact_url
from connectors.yellowstone.client import Client
from connectors.yellowstone.hand_over import HandOver
from connectors.yellowstone.settings import (
    DEFAULT_IDLE_WAIT_S,
    MAX_BATCH,
    SOURCE,
    YellowstoneError,
    YellowstoneSettings,
    log,
)
from domain.metrics import Metrics
from domain.models import RawFrame

#: What a partition does when its client cannot go on: None raises `YellowstoneError` from
#: `next_batch`; the job passes `exit_job`.
OnFatal = Callable[[str], None] | None


def exit_job(message: str) -> None:
    """The job's fatal path: the client has logged its one error line; exit 2 at once.

    Bytewax turns an exception from a source into a traceback and exit 1, and a refused token is
    a configuration problem like any other (exit 2). Nothing was lost by not draining: a source
    whose token is refused delivered nothing, or its frames were taken already.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(2)


class YellowstonePartition(StatefulSourcePartition[RawFrame, int | None]):
    """One endpoint's subscription. Its snapshot is the highest slot of the frames the dataflow
    took: a resumed job subscribes ``from_slot`` there (that slot again, whole; what it replays
    that was delivered is removed downstream by dedup)."""

    def __init__(
        self,
        settings: YellowstoneSettings,
        metrics: Metrics,
        resume_slot: int | None,
        clock: Callable[[], float] = time.time,
        idle_wait_s: float = DEFAULT_IDLE_WAIT_S,
        on_fatal: OnFatal = None,
        rng: random.Random | None = None,
    ) -> None:
        self._queue = HandOver(settings.queue_capacity, metrics)
        self.client = Client(settings, metrics, clock, self._queue, resume_slot, rng)
        self._idle_wait = timedelta(seconds=idle_wait_s)
        self._on_fatal = on_fatal
        self._taken_slot = resume_slot
        self._closed = False
        self._thread = threading.Thread(target=self.client.run, name=SOURCE, daemon=True)

    def start(self) -> None:
        if not self._thread.is_alive() and not self._closed:
            self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    @property
    def fatal(self) -> str | None:
        return self.client.fatal

    @property
    def queue_depth(self) -> int:
        return len(self._queue)

    @property
    def dropped(self) -> int:
        return self._queue.dropped

    def next_batch(self) -> list[RawFrame]:
        batch = self._queue.take(MAX_BATCH)
        if batch:
            for frame in batch:
                slot = frame.payload.slot  # type: ignore[union-attr]
                if slot is not None and (self._taken_slot is None or slot > self._taken_slot):
                    self._taken_slot = slot
        elif self.client.fatal is not None:
            if self._on_fatal is not None:
                self._on_fatal(self.client.fatal)
            raise YellowstoneError(self.client.fatal)
        return batch

    def next_awake(self) -> datetime | None:
        if len(self._queue) or self.client.fatal is not None:
            return None
        return datetime.now(timezone.utc) + self._idle_wait

    def snapshot(self) -> int | None:
        return self._taken_slot

    def close(self, timeout_s: float = 5.0) -> None:
        self.client.stop()
        if self._thread.is_alive():
            self._thread.join(timeout_s)
        if not self._closed:
            self._closed = True
            left = self._queue.discard()
            if left:
                log.info("yellowstone: closed with %d frames the dataflow did not take", left)


class YellowstoneSource(FixedPartitionedSource[RawFrame, int | None]):
    """Transactions of the launchpad programs from a Yellowstone (Geyser) gRPC endpoint.

    One partition, ``yellowstone-0``, per endpoint; its resume state is the last slot the dataflow
    took. Delivery is at least once across reconnects and restarts within the server's replay
    depth (the overlap is dropped by signature in the source, and by the dataflow's dedup).
    See the package documentation for the whole behaviour.
    """

    def __init__(
        self,
        settings: YellowstoneSettings,
        metrics: Metrics,
        *,
        clock: Callable[[], float] = time.time,
        idle_wait_s: float = DEFAULT_IDLE_WAIT_S,
        on_fatal: OnFatal = None,
    ) -> None:
        self.settings = settings
        self.metrics = metrics
        self.clock = clock
        self.idle_wait_s = idle_wait_s
        self.on_fatal = on_fatal
        #: Every partition this source built (one per run), for inspection.
        self.partitions: list[YellowstonePartition] = []

    def __repr__(self) -> str:
        return f"YellowstoneSource({redact_url(self.settings.url)!r})"

    def list_parts(self) -> list[str]:
        return [f"{SOURCE}-0"]

    def build_part(
        self, step_id: str, for_part: str, resume_state: int | None
    ) -> YellowstonePartition:
        if for_part not in self.list_parts():
            raise ValueError(f"{for_part!r} is not a partition of this source")
        part = YellowstonePartition(
            self.settings,
            self.metrics,
            resume_state,
            self.clock,
            self.idle_wait_s,
            self.on_fatal,
        )
        self.partitions.append(part)
        part.start()
        return part
