"""The parts of the send step both send modes share: what it is built from, its shutdown drain,
its recoverable state, and the logic common to `SyncDelivery` and `AsyncDelivery`.

Kept apart from the modes themselves (operators/delivery.py) so each mode reads as only what
makes it different: who sends, and when.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bytewax.operators import StatefulBatchLogic
from prometheus_client import Counter

from domain.metrics import CountsExport, Metrics
from domain.models import Batch, Candidate, DeadLetterWriter
from domain.shutdown import Shutdown
from operators.batch_sender import BatchSender
from operators.rate_limit import TokenBucket
from operators.stream_buffer import Put, StreamBuffers

__all__ = ["DeliveryLogic", "DeliveryState", "SendPath", "ShutdownDrain"]


@dataclass(frozen=True, slots=True)
class DeliveryState:
    """Recoverable state of the send step, one consistent cut: every candidate held (HIGH first,
    oldest first), every counter of the process, and the sink's position when it has one."""

    buffered: tuple[Candidate, ...] = ()
    counts: CountsExport = ()
    sink_position: int | None = None


@dataclass(eq=False)
class ShutdownDrain:
    """The deadline of a signal-started drain, and the accounting of what it leaves behind."""

    shutdown: Shutdown
    timeout_s: float
    metrics: Metrics
    dead_letter: DeadLetterWriter | None
    clock: Callable[[], float] = time.monotonic

    def remaining(self) -> float | None:
        """Seconds left to drain; None when no shutdown was asked (drain without limit)."""
        deadline = self.shutdown.deadline(self.timeout_s)
        return None if deadline is None else deadline - self.clock()

    def expired(self) -> bool:
        left = self.remaining()
        return left is not None and left <= 0

    def drop(self, candidates: list[Candidate]) -> None:
        if not candidates:
            return
        self.metrics.dropped_shutdown.inc(len(candidates))
        if self.dead_letter is not None:
            self.dead_letter([c.dead_letter_line("dropped_shutdown") for c in candidates])


@dataclass(frozen=True, slots=True)
class SendPath:
    """What a send mode is built from: the buffers, the sender, the rate limit, the batch size,
    the shutdown drain, and (for a sink that can go back) how to read the sink's position."""

    buffers: StreamBuffers
    sender: BatchSender
    bucket: TokenBucket
    batch_size: int
    drain: ShutdownDrain
    #: None for a sink without a position.
    transport_position: Callable[[], int | None] | None = None


class DeliveryLogic(StatefulBatchLogic[Batch, None, DeliveryState]):
    """What both modes share: the buffers, the sender, the bucket, the snapshot."""

    def __init__(self, path: SendPath, *, serial: bool = False) -> None:
        self.buffers = path.buffers
        self._sender = path.sender
        self._bucket = path.bucket
        self._batch_size = path.batch_size
        self._drain = path.drain
        self._metrics = path.buffers.metrics
        self._detected: dict[tuple[str, str], Counter] = {}
        self._transport_position = path.transport_position
        # One batch in flight at a time (sync): the sink's position where it started, so a
        # snapshot taken mid-send rewinds the sink to before it and sends it again (exactly
        # once). With two in flight (async) no such position exists: at least once.
        self._serial = serial
        self._position_at_send: int | None = None

    def _send_next(self, priority: str, max_items: int | None = None) -> None:
        """Send the next batch of `priority` (tokens already granted for `max_items`, or for a
        whole batch when None)."""
        taken = self.buffers.take(priority, self._batch_size if max_items is None else max_items)
        if not taken:
            return
        unsettled = list(taken)
        marking = self._serial and self._transport_position is not None
        if marking:
            with self._metrics.lock:
                self._position_at_send = self._position()

        def settle(candidates: list[Candidate]) -> None:
            # Called under the metrics lock, with the outcome's count.
            self.buffers.settle(priority, candidates)
            for candidate in candidates:
                unsettled.remove(candidate)
            if marking and not unsettled:
                self._position_at_send = None

        try:
            self._sender.send(priority, taken, settle)
        finally:
            if unsettled:  # only if the sender broke its promise and raised
                with self._metrics.lock:
                    self.buffers.settle(priority, unsettled)
                    self._position_at_send = None

    def _take_in_until_full(self, candidates: Sequence[Candidate], start: int) -> int:
        """Offer `candidates[start:]` to their buffers; each one in (or dropped by the policy) is
        counted in `tx_seen` and `candidates_detected` in the same critical section (see
        operators/detection.py for why the counts go together). One critical section for all
        of them, so a sender finds an upstream batch whole in its buffer rather than waking for
        its first candidate and sending it alone (a slow consumer pays per batch). Returns the
        index of the first candidate `block` refused, or ``len(candidates)``."""
        buffers = self.buffers
        # The senders' order too (metrics, then buffers: see BatchSender), or they deadlock.
        with self._metrics.lock, buffers.lock:
            for index in range(start, len(candidates)):
                candidate = candidates[index]
                if buffers.put(candidate) is Put.FULL:
                    return index
                self._count_in(candidate)
        return len(candidates)

    def _count_in(self, candidate: Candidate) -> None:
        key = (candidate.launch.launchpad, candidate.priority)
        child = self._detected.get(key)
        if child is None:
            child = self._detected[key] = self._metrics.candidates_detected.labels(*key)
        self._metrics.tx_seen.inc()
        child.inc()

    def _drop_at_shutdown(self, candidate: Candidate) -> None:
        """`block` and the drain's deadline passed: the arriving candidate is counted as
        detected and as dropped at shutdown."""
        with self._metrics.lock:
            self._count_in(candidate)
            self._drain.drop([candidate])

    def _give_up_the_rest(self) -> None:
        """The shutdown drain ran out of time: what still waits is dropped and counted."""
        with self._metrics.lock:
            self._drain.drop(self.buffers.drain_all())

    def snapshot(self) -> DeliveryState:
        # One consistent cut: the buffers, every counter of the process, and the sink's
        # position, under the lock every counting step takes.
        with self._metrics.lock:
            at_send = self._position_at_send
            return DeliveryState(
                self.buffers.contents(),
                self._metrics.export_counts(),
                at_send if at_send is not None else self._position(),
            )

    def _position(self) -> int | None:
        return None if self._transport_position is None else self._transport_position()
