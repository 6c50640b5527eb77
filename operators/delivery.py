"""The send path: batches in; stream buffers, drop policy, rate limit, sync or async sending.

    batches ─> StreamBuffers (HIGH, LOW; capacity; drop policy) ─> TokenBucket ─> BatchSender
                                                                   (staleness, retries, counting)

The step takes every candidate off Bytewax's queues at once and holds it in the bounded stream
buffers: inside an epoch Bytewax's queues are unbounded, so this is what bounds memory when the
consumer is slow. Its snapshot is the buffers' contents, so candidates waiting (or in flight)
when the process dies are sent after a restart.

Both modes send from threads beside the dataflow, so the worker's time goes to its input and
never to waiting on the consumer; a slow consumer therefore gets all it can take however much
input the worker also has to take in (and drop):

- `sync` (the seed's semantics): one sender thread, one batch at a time, each acknowledged (or
  failed after its retries) before the next is taken; HIGH before LOW: a LOW batch is taken only
  when no HIGH candidate waits. Nothing is in flight but that one batch, so a sink with a position
  (the jsonl file) is rewound on resume to where that batch started: exactly once.
- `async`: a sender thread per priority, one batch in flight per priority, side by side; order is
  kept within each priority. With a rate limit, LOW yields to HIGH when both wait.
- At the end of the stream the senders finish what is buffered and are joined (after a signal,
  until the shutdown deadline; what is left is counted in `dropped_shutdown`).
- `block`: a full buffer makes the worker wait for the sender to make room (watching the shutdown
  deadline), which slows its input: nothing is dropped.

(Sync mode used to send on the worker itself, for one `batch_timeout_ms` slice per activation.
Under overload that starved the consumer: between two sends the worker took in a whole source
batch it would mostly drop, and a 20 ms consumer got 12 % of its capacity at 10x its rate in
`benchmarks/delivery_goodput.py`; from a sender thread it gets about 90 %.)

All candidates go to one key (see flows/pipeline.py), so one worker of the cluster sends.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

import bytewax.operators as op
from bytewax.dataflow import operator
from bytewax.operators import KeyedStream, StatefulBatchLogic

from domain.metrics import Metrics
from domain.models import HIGH, LOW, PRIORITIES, Batch, DeadLetterWriter
from domain.shutdown import Shutdown
from domain.transport import Resumable, Transport
from operators.batch_sender import BatchSender
from operators.rate_limit import TokenBucket
from operators.send_path import DeliveryLogic, DeliveryState, SendPath, ShutdownDrain
from operators.stream_buffer import DropPolicy, StreamBuffers

__all__ = [
    "AsyncDelivery",
    "DeliverySettings",
    "SyncDelivery",
    "ThreadedDelivery",
    "deliver",
    "delivery_builder",
]

_NOTHING: tuple[()] = ()

#: After the shutdown deadline, how long to wait for a batch already being sent.
_IN_FLIGHT_GRACE_S = 2.0

#: The interpreter's thread switch interval once senders run (CPython's default is 5 ms).
_SWITCH_INTERVAL_S = 0.001


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    """What the send step needs to know (the defaults are the configuration's)."""

    buffer_capacity: int = 2048
    drop_policy: DropPolicy = "drop_newest"
    batch_size: int = 16
    send_mode: Literal["sync", "async"] = "sync"
    #: Unused since the sync sender left the worker (it sent for one slice per activation);
    #: kept so the configuration's mapping (flows/settings.py) stays valid.
    slice_s: float = 0.010
    max_retries: int = 3
    retry_delay_s: float = 100e-6
    retry_backoff: float = 1.0
    retry_max_delay_s: float = 1.0
    #: 0 = candidates never go stale.
    max_age_s: float = 0.0
    #: candidates per second; 0 = no rate limit.
    rate_limit: float = 0.0
    shutdown_timeout_s: float = 5.0


class ThreadedDelivery(DeliveryLogic):
    """Sender threads beside the dataflow, each serving its `lane` of priorities in order (HIGH
    before LOW when a lane holds both); see the module docstring."""

    def __init__(
        self,
        path: SendPath,
        lanes: tuple[tuple[str, ...], ...],
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(path, serial=len(lanes) == 1)
        self._sleep = sleep  # injectable, so tests wait for the rate limit on a fake clock
        self._closing = False
        # Two lanes share one rate limit: LOW must leave the next tokens to a waiting HIGH.
        self._shared_tokens = len(lanes) > 1 and not self._bucket.unlimited
        # A sender needs the GIL back after every send. While the worker thread is busy (a burst
        # of launches, detection at full speed) CPython takes the GIL from it only every switch
        # interval, and the worker usually wins it back: a send then returns many milliseconds
        # late and a slow consumer gets well under its capacity. A short interval gives the
        # senders their turn soon after each send, at a small cost to the send step's own speed
        # that does not show in the whole job's throughput (benchmarks/delivery.py measures both).
        # Process-wide, like the GIL itself; only ever lowered.
        if sys.getswitchinterval() > _SWITCH_INTERVAL_S:
            sys.setswitchinterval(_SWITCH_INTERVAL_S)
        self._threads = [
            threading.Thread(
                target=self._run_sender, args=(lane,), name=f"sniffer-sender-{'-'.join(lane)}"
            )
            for lane in lanes
        ]
        for thread in self._threads:
            # Daemon threads: an aborted dataflow must not hang the process on a slow consumer.
            thread.daemon = True
            thread.start()

    def on_batch(self, values: list[Batch]) -> tuple[Iterable[None], bool]:
        buffers = self.buffers
        blocking = buffers.policy == "block"
        for batch in values:
            candidates = batch.candidates
            refused = self._take_in_until_full(candidates, 0)
            while refused < len(candidates):
                assert blocking  # only `block` refuses
                candidate = candidates[refused]
                # Wait (without the metrics lock: the senders need it to settle) for room.
                # Counting after the wait is safe: snapshots run on this same worker thread.
                # (It found the buffer full once: one backpressure event, however long it waits.)
                if buffers.place_when_room(candidate, give_up=self._drain.expired):
                    with self._metrics.lock:
                        self._count_in(candidate)
                else:
                    self._drop_at_shutdown(candidate)
                refused = self._take_in_until_full(candidates, refused + 1)
        return _NOTHING, StatefulBatchLogic.RETAIN

    def on_eof(self) -> tuple[Iterable[None], bool]:
        self.close()
        return _NOTHING, StatefulBatchLogic.RETAIN

    def close(self) -> None:
        """Let the senders finish what is buffered (until the shutdown deadline, after a
        signal), then join them."""
        with self.buffers.lock:
            self._closing = True
            self.buffers.lock.notify_all()
        for thread in self._threads:
            while thread.is_alive():
                left = self._drain.remaining()
                thread.join(timeout=None if left is None else max(0.0, left))
                if self._drain.expired():
                    # Out of time: take what still waits away from the senders; each finishes
                    # the batch it is sending (counted either way) and stops.
                    self._give_up_the_rest()
                    thread.join(timeout=_IN_FLIGHT_GRACE_S)
                    break

    def _next_of(self, lane: tuple[str, ...]) -> str | None:
        """The first priority of `lane` with candidates waiting (call under the lock)."""
        for priority in lane:
            if self.buffers.waiting(priority):
                return priority
        return None

    def _run_sender(self, lane: tuple[str, ...]) -> None:
        buffers, bucket = self.buffers, self._bucket
        while True:
            with buffers.lock:
                while (priority := self._next_of(lane)) is None:
                    if self._closing:
                        return
                    buffers.lock.wait(timeout=0.1)
                if priority == LOW and self._shared_tokens and buffers.waiting(HIGH):
                    # HIGH goes first through a shared rate limit: give it the next tokens.
                    buffers.lock.wait(timeout=0.001)
                    continue
                want = min(self._batch_size, buffers.waiting(priority))
            wait = bucket.try_take(want)
            if wait > 0:
                # Asked again after the wait: in a lane of both, HIGH may have come meanwhile.
                self._sleep(wait)
                continue
            # Tokens were granted for `want`: take no more than that, or candidates that arrived
            # since `want` was counted would go without tokens and exceed the rate limit.
            self._send_next(priority, None if bucket.unlimited else want)


class SyncDelivery(ThreadedDelivery):
    """`sync`: one sender, one batch at a time, HIGH before LOW, beside the dataflow."""

    def __init__(self, path: SendPath, sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__(path, ((HIGH, LOW),), sleep)


class AsyncDelivery(ThreadedDelivery):
    """`async`: a sender per priority, one batch at a time each, side by side."""

    def __init__(self, path: SendPath, sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__(path, tuple((priority,) for priority in PRIORITIES), sleep)


def delivery_builder(
    settings: DeliverySettings,
    metrics: Metrics,
    transport: Transport,
    shutdown: Shutdown,
    dead_letter: DeadLetterWriter | None = None,
) -> Callable[[DeliveryState | None], DeliveryLogic]:
    """The send step's logic builder: fresh with None, resumed from a `DeliveryState`."""

    resumable = transport if isinstance(transport, Resumable) else None

    def builder(resume: DeliveryState | None) -> DeliveryLogic:
        if resume is not None:
            # A resumed run continues from the counts of the snapshot it resumes from (the
            # contract), and a sink that can go back to the snapshot's position does, so what
            # it wrote after the snapshot (and the resumed run sends again) is not there twice.
            metrics.restore_counts(resume.counts)
            if resumable is not None and resume.sink_position is not None:
                resumable.truncate_to(resume.sink_position)
        buffers = StreamBuffers(
            settings.buffer_capacity,
            settings.drop_policy,
            metrics,
            dead_letter,
            contents=resume.buffered if resume is not None else (),
        )
        sender = BatchSender(
            transport,
            metrics,
            max_retries=settings.max_retries,
            retry_delay_s=settings.retry_delay_s,
            retry_backoff=settings.retry_backoff,
            retry_max_delay_s=settings.retry_max_delay_s,
            max_age_s=settings.max_age_s,
            dead_letter=dead_letter,
        )
        path = SendPath(
            buffers,
            sender,
            TokenBucket(settings.rate_limit, burst=settings.batch_size),
            settings.batch_size,
            ShutdownDrain(shutdown, settings.shutdown_timeout_s, metrics, dead_letter),
            resumable.position if resumable is not None else None,
        )
        if settings.send_mode == "async":
            return AsyncDelivery(path)
        return SyncDelivery(path)

    return builder


@operator
def deliver(
    step_id: str,
    up: KeyedStream[Batch],
    settings: DeliverySettings,
    metrics: Metrics,
    transport: Transport,
    shutdown: Shutdown,
    dead_letter: DeadLetterWriter | None = None,
) -> None:
    """Buffer, rate-limit and send every batch through `transport`. This is the job's sink."""
    builder = delivery_builder(settings, metrics, transport, shutdown, dead_letter)
    sent = op.stateful_batch("stateful", up, builder)
    # The step emits nothing, but Bytewax refuses a dataflow without an output or inspect step.
    op.inspect("end", sent, _ignore)


def _ignore(step_id: str, item: object) -> None:
    return None
