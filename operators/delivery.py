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

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import bytewax.operators as op
from bytewax.dataflow import operator
from bytewax.operators import KeyedStream, StatefulBatchLogic

from domain.config import SnifferConfig
from domain.metrics import Metrics
from domain.models import HIGH, LOW, PRIORITIES, Batch, Candidate
from domain.shutdown import Shutdown
from domain.transport import Transport
from operators.batch_sender import BatchSender, DeadLetterWriter
from operators.rate_limit import TokenBucket
from operators.stream_buffer import Put, StreamBuffers

_NOTHING: tuple[()] = ()

#: After the shutdown deadline, how long to wait for a batch already being sent.
_IN_FLIGHT_GRACE_S = 2.0


@dataclass(frozen=True, slots=True)
class DeliveryState:
    """Recoverable state of the send step: every candidate held, HIGH first, oldest first."""

    buffered: tuple[Candidate, ...] = ()


class _DeliveryLogic(StatefulBatchLogic[Batch, None, DeliveryState]):
    """What both modes share: the buffers, the sender, the bucket, the snapshot."""

    def __init__(
        self,
        buffers: StreamBuffers,
        sender: BatchSender,
        bucket: TokenBucket,
        batch_size: int,
        drain: ShutdownDrain,
    ) -> None:
        self.buffers = buffers
        self._sender = sender
        self._bucket = bucket
        self._batch_size = batch_size
        self._drain = drain

    def _send_next(self, priority: str, max_items: int | None = None) -> None:
        """Send the next batch of `priority` (tokens already granted for `max_items`, or for a
        whole batch when None)."""
        taken = self.buffers.take(priority, self._batch_size if max_items is None else max_items)
        if taken:
            try:
                self._sender.send(priority, taken)
            finally:
                self.buffers.done(priority, len(taken))

    def _give_up_the_rest(self) -> None:
        """The shutdown drain ran out of time: what still waits is dropped and counted."""
        self._drain.drop(self.buffers.drain_all())

    def snapshot(self) -> DeliveryState:
        return DeliveryState(self.buffers.contents())


class ShutdownDrain:
    """The deadline of a signal-started drain, and the accounting of what it leaves behind."""

    def __init__(
        self,
        shutdown: Shutdown,
        timeout_s: float,
        metrics: Metrics,
        dead_letter: DeadLetterWriter | None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._shutdown = shutdown
        self._timeout_s = timeout_s
        self._metrics = metrics
        self._dead_letter = dead_letter
        self._clock = clock

    def remaining(self) -> float | None:
        """Seconds left to drain; None when no shutdown was asked (drain without limit)."""
        deadline = self._shutdown.deadline(self._timeout_s)
        return None if deadline is None else deadline - self._clock()

    def expired(self) -> bool:
        left = self.remaining()
        return left is not None and left <= 0

    def drop(self, candidates: list[Candidate]) -> None:
        if not candidates:
            return
        self._metrics.dropped_shutdown.inc(len(candidates))
        if self._dead_letter is not None:
            self._dead_letter([c.dead_letter_line("dropped_shutdown") for c in candidates])


class SyncDelivery(_DeliveryLogic):
    """The worker sends itself; see the module docstring."""

    def __init__(
        self,
        buffers: StreamBuffers,
        sender: BatchSender,
        bucket: TokenBucket,
        batch_size: int,
        drain: ShutdownDrain,
        slice_s: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(buffers, sender, bucket, batch_size, drain)
        self._slice_s = slice_s
        self._clock = clock
        self._sleep = sleep
        self._wake: datetime | None = None

    def on_batch(self, values: list[Batch]) -> tuple[Iterable[None], bool]:
        buffers = self.buffers
        for batch in values:
            for candidate in batch.candidates:
                if buffers.put(candidate) is Put.FULL:
                    # `_make_room` fails only when the shutdown deadline comes first; the
                    # candidate must then be counted (it used to be put again, found the buffer
                    # still full, and vanish from every counter).
                    if self._drain.expired() or not self._make_room(candidate.priority):
                        self._drain.drop([candidate])  # block, and the drain ran out of time
                        continue
                    buffers.put(candidate)
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


class AsyncDelivery(_DeliveryLogic):
    """A sender thread per priority; see the module docstring."""

    def __init__(
        self,
        buffers: StreamBuffers,
        sender: BatchSender,
        bucket: TokenBucket,
        batch_size: int,
        drain: ShutdownDrain,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(buffers, sender, bucket, batch_size, drain)
        self._sleep = sleep  # injectable, so tests wait for the rate limit on a fake clock
        self._closing = False
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
                if not blocking:
                    buffers.put(candidate)
                elif not buffers.put_when_room(candidate, give_up=self._drain.expired):
                    self._drain.drop([candidate])
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


@operator
def deliver(
    step_id: str,
    up: KeyedStream[Batch],
    config: SnifferConfig,
    metrics: Metrics,
    transport: Transport,
    shutdown: Shutdown,
    dead_letter: DeadLetterWriter | None = None,
) -> None:
    """Buffer, rate-limit and send every batch through `transport`. This is the job's sink."""

    def builder(resume: DeliveryState | None) -> _DeliveryLogic:
        buffers = StreamBuffers(
            config.stream_buffer_capacity,
            config.drop_policy,
            metrics,
            dead_letter,
            contents=resume.buffered if resume is not None else (),
        )
        sender = BatchSender(
            transport,
            metrics,
            max_retries=config.send_max_retries,
            retry_delay_s=config.send_retry_delay_us / 1e6,
            max_age_s=config.max_candidate_age_ms / 1e3,
            dead_letter=dead_letter,
        )
        bucket = TokenBucket(config.sink_rate_limit, burst=config.batch_size)
        drain = ShutdownDrain(
            shutdown, config.graceful_shutdown_timeout_ms / 1e3, metrics, dead_letter
        )
        if config.batch_send_mode == "async":
            return AsyncDelivery(buffers, sender, bucket, config.batch_size, drain)
        return SyncDelivery(
            buffers,
            sender,
            bucket,
            config.batch_size,
            drain,
            slice_s=config.batch_timeout_ms / 1e3,
        )

    sent = op.stateful_batch("stateful", up, builder)
    # The step emits nothing, but Bytewax refuses a dataflow without an output or inspect step.
    op.inspect("end", sent, _ignore)


def _ignore(step_id: str, item: object) -> None:
    return None
