"""Sending one batch: staleness check, the transport, retries, and the accounting of each outcome.

Used by both send modes; each candidate handed to `send` ends up counted exactly once, in
`candidates_sent`, `dropped_stale` or `send_failures` (the second conservation law). Each outcome
is counted under `Metrics.lock` together with the `settle` callback, which takes the candidates out
of the stream buffer's in-flight count: a recovery snapshot taken by another thread never sees a
candidate both sent and still buffered.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from domain.metrics import Metrics
from domain.models import Batch, Candidate, DeadLetterWriter
from domain.transport import SendError, Transport

log = logging.getLogger(__name__)

Settle = Callable[[list[Candidate]], None]


def _nothing_to_settle(candidates: list[Candidate]) -> None:
    return None


class BatchSender:
    """Delivers batches through `transport`, retrying failures `max_retries` times."""

    def __init__(
        self,
        transport: Transport,
        metrics: Metrics,
        *,
        max_retries: int,
        retry_delay_s: float,
        max_age_s: float = 0.0,
        dead_letter: DeadLetterWriter | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._transport = transport
        self._metrics = metrics
        self._max_retries = max_retries
        self._retry_delay_s = retry_delay_s
        self._max_age_s = max_age_s
        self._dead_letter = dead_letter
        self._clock = clock
        self._sleep = sleep

    def send(
        self, priority: str, candidates: list[Candidate], settle: Settle = _nothing_to_settle
    ) -> None:
        """Send the candidates that are still fresh as one batch; never raises. `settle` is
        called with every candidate once its outcome is counted, in the same critical section."""
        if self._max_age_s > 0:
            candidates = self._drop_stale(candidates, settle)
            if not candidates:
                return
        batch = Batch(priority, tuple(candidates), opened_at=candidates[0].launch.arrived_at)
        error, retries = self._send_with_retries(batch)
        if error is None:
            self._count_sent(batch, settle)
        else:
            self._count_failed(batch, error, retries, settle)

    def close(self) -> None:
        self._transport.close()

    def _drop_stale(self, candidates: list[Candidate], settle: Settle) -> list[Candidate]:
        oldest_allowed = self._clock() - self._max_age_s
        fresh = [c for c in candidates if c.launch.arrived_at >= oldest_allowed]
        if len(fresh) < len(candidates):
            stale = [c for c in candidates if c.launch.arrived_at < oldest_allowed]
            with self._metrics.lock:
                self._metrics.dropped_stale.inc(len(stale))
                settle(stale)
            if self._dead_letter is not None:
                self._dead_letter([c.dead_letter_line("stale") for c in stale])
        return fresh

    def _send_with_retries(self, batch: Batch) -> tuple[Exception | None, int]:
        """The final error (None once delivered) and the retries made, which is fewer than
        `max_retries` for an error that is not retryable (the log line reports it)."""
        for attempt in range(self._max_retries + 1):
            try:
                self._transport.send(batch)
                return None, attempt
            except SendError as exc:
                if not exc.retryable or attempt == self._max_retries:
                    return exc, attempt
            except Exception as exc:  # any failure of a downstream system is retried, not raised
                if attempt == self._max_retries:
                    return exc, attempt
            self._metrics.send_retries.inc()
            if self._retry_delay_s > 0:
                self._sleep(self._retry_delay_s)
        raise AssertionError("unreachable: the loop returns on its last attempt")

    def _count_sent(self, batch: Batch, settle: Settle) -> None:
        metrics = self._metrics
        size = len(batch.candidates)
        acked = self._clock()
        with metrics.lock:
            metrics.candidates_sent.labels(batch.priority).inc(size)
            metrics.batches_sent.labels(batch.priority).inc()
            settle(list(batch.candidates))
        metrics.batch_size.observe(size)
        for candidate in batch.candidates:
            metrics.detect_to_send_seconds.observe(max(0.0, acked - candidate.launch.arrived_at))

    def _count_failed(self, batch: Batch, error: Exception, retries: int, settle: Settle) -> None:
        size = len(batch.candidates)
        log.warning(
            "a %s batch of %d failed after %d retries: %s",
            batch.priority,
            size,
            retries,
            error,
        )
        with self._metrics.lock:
            self._metrics.send_failures.inc(size)
            settle(list(batch.candidates))
        if self._dead_letter is not None:
            reason = f"send_failed: {error}"
            self._dead_letter([c.dead_letter_line(reason) for c in batch.candidates])
