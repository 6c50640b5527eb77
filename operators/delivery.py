"""The send path: batches in; stream buffers, drop policy, rate limit, sync or async sending.

    batches ─> StreamBuffers (HIGH, LOW; capacity; drop policy) ─> TokenBucket ─> BatchSender
                                                                   (staleness, retries, counting)

The step takes every candidate off Bytewax's queues at once and holds it in the bounded stream
buffers: inside an epoch Bytewax's queues are unbounded, so this is what bounds memory when the
consumer is slow. Its snapshot is the buffers' contents, so candidates waiting (or in flight)
when the process dies are sent after a restart.

- `sync` (the seed's behaviour): the worker sends itself, HIGH before LOW, for at most one
  `batch_timeout_ms` slice per activation, then goes back to its input; what is left waits for the
  next activation (a timer wakes the step even when no input comes). While it sends, detection
  waits; candidates that arrive meanwhile fill the buffers, and the drop policy decides.
- `async`: a sender thread per priority sends beside the dataflow, so detection never waits on the
  consumer; order is kept within each priority; at the end of the stream the senders finish what is
  buffered and are joined. With a rate limit, LOW yields to HIGH when both wait.
- `block`: a full buffer makes the worker wait for room (sync: it sends; async: it waits for the
  senders), which slows its input: nothing is dropped.

All candidates go to one key (see flows/pipeline.py), so one worker of the cluster sends.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
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
from operators.stream_buffer import DropPolicy, Put, StreamBuffers

__all__ = ["AsyncDelivery", "DeliverySettings", "SyncDelivery", "deliver", "delivery_builder"]

_NOTHING: tuple[()] = ()

#: After the shutdown deadline, how long to wait for a batch already being sent.
_IN_FLIGHT_GRACE_S = 2.0

#: The interpreter's thread switch interval in async mode (CPython's default is 5 ms).
_ASYNC_SWITCH_INTERVAL_S = 0.001


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    """What the send step needs to know (the defaults are the configuration's)."""

    buffer_capacity: int = 2048
    drop_policy: DropPolicy = "drop_newest"
    batch_size: int = 16
    send_mode: Literal["sync", "async"] = "sync"
    #: sync mode: the longest the worker sends per activation (the batch timeout).
    slice_s: float = 0.010
    max_retries: int = 3
    retry_delay_s: float = 100e-6
    #: 0 = candidates never go stale.
    max_age_s: float = 0.0
    #: candidates per second; 0 = no rate limit.
    rate_limit: float = 0.0
    shutdown_timeout_s: float = 5.0


class SyncDelivery(DeliveryLogic):
    """The worker sends itself; see the module docstring."""

    def __init__(
        self,
        path: SendPath,
        slice_s: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(path)
        self._slice_s = slice_s
        self._clock = clock
        self._sleep = sleep
        self._wake: datetime | None = None

    def on_batch(self, values: list[Batch]) -> tuple[Iterable[None], bool]:
        for batch in values:
            for candidate in batch.candidates:
                if self._take_in(candidate) is Put.FULL:
                    # `_make_room` fails only when the shutdown deadline comes first; the
                    # candidate must then be counted (it used to be put again, found the buffer
                    # still full, and vanish from every counter).
                    if self._drain.expired() or not self._make_room(candidate.priority):
                        self._drop_at_shutdown(candidate)
                        continue
                    self._take_in(candidate)
        self._pump()
        return _NOTHING, StatefulBatchLogic.RETAIN

    def on_notify(self) -> tuple[Iterable[None], bool]:
        self._pump()
        return _NOTHING, StatefulBatchLogic.RETAIN

    def on_eof(self) -> tuple[Iterable[None], bool]:
        # The end of a finite input drains everything, however long the rate limit makes it;
        # after a signal the drain stops at the shutdown deadline and the rest is counted.
        while (priority := self.buffers.next_priority()) is not None:
            if not self._wait_for_tokens(priority):
                break
            self._send_next(priority)
        self._give_up_the_rest()
        self._wake = None
        return _NOTHING, StatefulBatchLogic.RETAIN

    def notify_at(self) -> datetime | None:
        return self._wake

    def _pump(self) -> None:
        """Send, HIGH first, until the buffers are empty, the rate limit says wait, or the slice
        is used up; then arrange to be woken when there is more to do."""
        started = self._clock()
        self._wake = None
        while (priority := self.buffers.next_priority()) is not None:
            wait = self._bucket.try_take(min(self._batch_size, self.buffers.waiting(priority)))
            if wait > 0:
                self._wake = _utc_in(wait)
                return
            self._send_next(priority)
            if self._clock() - started >= self._slice_s:
                self._wake = _utc_in(0.0)
                return

    def _make_room(self, priority: str) -> bool:
        """`block`: send `priority`'s oldest batches now until one more candidate fits, waiting
        for the rate limit if need be; False if the shutdown deadline comes first.

        A loop, not one batch: resumed contents may exceed a lowered capacity by more than a
        batch. (Nothing is in flight between sends in sync mode, so `waiting` is all held.)
        """
        while self.buffers.waiting(priority) >= self.buffers.capacity:
            if not self._wait_for_tokens(priority):
                return False
            self._send_next(priority)
        return True

    def _wait_for_tokens(self, priority: str) -> bool:
        """Sleep until the rate limit grants the next batch; False if the shutdown deadline
        comes first."""
        want = min(self._batch_size, max(1, self.buffers.waiting(priority)))
        while (wait := self._bucket.try_take(want)) > 0:
            left = self._drain.remaining()
            if left is not None and left <= wait:
                return False
            self._sleep(wait)
        return not self._drain.expired()


class AsyncDelivery(DeliveryLogic):
    """A sender thread per priority; see the module docstring."""

    def __init__(self, path: SendPath, sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__(path)
        self._sleep = sleep  # injectable, so tests wait for the rate limit on a fake clock
        self._closing = False
        # A sender needs the GIL back after every send. While the worker thread is busy (a burst
        # of launches, detection at full speed) CPython takes the GIL from it only every switch
        # interval, and the worker usually wins it back: a send then returns many milliseconds
        # late and a slow consumer gets well under its capacity. A short interval gives the
        # senders their turn soon after each send, at a small cost to the send step's own speed
        # that does not show in the whole job's throughput (benchmarks/delivery.py measures both).
        # Process-wide, like the GIL itself; only ever lowered.
        if sys.getswitchinterval() > _ASYNC_SWITCH_INTERVAL_S:
            sys.setswitchinterval(_ASYNC_SWITCH_INTERVAL_S)
        self._threads = [
            threading.Thread(
                target=self._run_sender, args=(priority,), name=f"sniffer-sender-{priority}"
            )
            for priority in PRIORITIES
        ]
        for thread in self._threads:
            # Daemon threads: an aborted dataflow must not hang the process on a slow consumer.
            thread.daemon = True
            thread.start()

    def on_batch(self, values: list[Batch]) -> tuple[Iterable[None], bool]:
        buffers = self.buffers
        blocking = buffers.policy == "block"
        for batch in values:
            for candidate in batch.candidates:
                if self._take_in(candidate) is not Put.FULL:
                    continue
                assert blocking  # only `block` refuses
                # Wait (without the metrics lock: the senders need it to settle) for room.
                # Counting after the wait is safe: snapshots run on this same worker thread.
                if buffers.put_when_room(candidate, give_up=self._drain.expired):
                    with self._metrics.lock:
                        self._count_in(candidate)
                else:
                    self._drop_at_shutdown(candidate)
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

    def _run_sender(self, priority: str) -> None:
        buffers, bucket = self.buffers, self._bucket
        while True:
            with buffers.lock:
                while not buffers.waiting(priority):
                    if self._closing:
                        return
                    buffers.lock.wait(timeout=0.1)
                if priority == LOW and not bucket.unlimited and buffers.waiting(HIGH):
                    # HIGH goes first through a shared rate limit: give it the next tokens.
                    buffers.lock.wait(timeout=0.001)
                    continue
                want = min(self._batch_size, buffers.waiting(priority))
            wait = bucket.try_take(want)
            if wait > 0:
                self._sleep(wait)
                continue
            # Tokens were granted for `want`: take no more than that, or candidates that arrived
            # since `want` was counted would go without tokens and exceed the rate limit.
            self._send_next(priority, None if bucket.unlimited else want)


def _utc_in(seconds: float) -> datetime:
    return datetime.now(timezone.utc) + timedelta(seconds=seconds)


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
        return SyncDelivery(path, slice_s=settings.slice_s)

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
