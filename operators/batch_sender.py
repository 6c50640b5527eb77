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
from dataclasses import KW_ONLY, dataclass

from domain.metrics import Metrics
from domain.models import Batch, Candidate, DeadLetterWriter
from domain.transport import SendError, Transport

log = logging.getLogger(__name__)

Settle = Callable[[list[Candidate]], None]


def retry_delay(previous_s: float, backoff: float, cap_s: float) -> float:
    """The delay before the next retry: the previous one times `backoff`, capped at `cap_s`
    (the contract's ``send_retry_backoff`` / ``send_retry_max_delay_ms``). A first delay above
    the cap is kept as configured: the cap bounds the growth, it does not shorten the seed's
    own ``send_retry_delay_us``."""
    if backoff <= 1.0:
        return previous_s
    return max(previous_s, min(previous_s * backoff, cap_s))


def _nothing_to_settle(candidates: list[Candidate]) -> None:
    return None


@dataclass(eq=False)
class BatchSender:
    """Delivers batches through `transport`, retrying failures `max_retries` times."""

    transport: Transport
    metrics: Metrics
    _: KW_ONLY
    max_retries: int
    retry_delay_s: float
    #: The delay's growth factor after each retry (1: the seed's fixed delay) and its cap.
    retry_backoff: float = 1.0
    retry_max_delay_s: float = 1.0
    max_age_s: float = 0.0
    dead_letter: DeadLetterWriter | None = None
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep

    def send(
        self, priority: str, candidates: list[Candidate], settle: Settle = _nothing_to_settle
    ) -> None:
        """Send the candidates that are still fresh as one batch; never raises. `settle` is
        called with every candidate once its outcome is counted, in the same critical section."""
        if self.max_age_s > 0:
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
        self.transport.close()

    def _drop_stale(self, candidates: list[Candidate], settle: Settle) -> list[Candidate]:
        oldest_allowed = self.clock() - self.max_age_s
        fresh = [c for c in candidates if c.launch.arrived_at >= oldest_allowed]
        if len(fresh) < len(candidates):
            stale = [c for c in candidates if c.launch.arrived_at < oldest_allowed]
            with self.metrics.lock:
                self.metrics.dropped_stale.inc(len(stale))
                settle(stale)
            if self.dead_letter is not None:
                self.dead_letter([c.dead_letter_line("stale") for c in stale])
        return fresh

    def _send_with_retries(self, batch: Batch) -> tuple[Exception | None, int]:
        """The final error (None once delivered) and the retries made, which is fewer than
        `max_retries` for an error that is not retryable (the log line reports it)."""
        delay = self.retry_delay_s
        for attempt in range(self.max_retries + 1):
            try:
                self.transport.send(batch)
                return None, attempt
            except SendError as exc:
                if not exc.retryable or attempt == self.max_retries:
                    return exc, attempt
            except Exception as exc:  # any failure of a downstream system is retried, not raised
                if attempt == self.max_retries:
                    return exc, attempt
            self.metrics.send_retries.inc()
            if delay > 0:
                self.sleep(delay)
            delay = retry_delay(delay, self.retry_backoff, self.retry_max_delay_s)
        raise AssertionError("unreachable: the loop returns on its last attempt")

    def _count_sent(self, batch: Batch, settle: Settle) -> None:
        metrics = self.metrics
        size = len(batch.candidates)
        acked = self.clock()
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
        with self.metrics.lock:
            self.metrics.send_failures.inc(size)
            settle(list(batch.candidates))
        if self.dead_letter is not None:
            reason = f"send_failed: {error}"
            self.dead_letter([c.dead_letter_line(reason) for c in batch.candidates])
