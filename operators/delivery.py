"""The send path: batches in, delivered through a `Transport`, every candidate accounted for.

This is the seam the stream buffer, drop policies, rate limit, retries and async senders plug
into (they stand between the batches and the transport). Today it sends each batch as it comes;
a failure is counted in `send_failures` and dead-lettered, and the job goes on: a send that
raises must never kill the dataflow.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from bytewax.outputs import DynamicSink, StatelessSinkPartition

from domain.metrics import Metrics
from domain.models import Batch
from domain.transport import Transport

log = logging.getLogger(__name__)

DeadLetterWriter = Callable[[list[bytes]], None]


class DeliverySink(DynamicSink[Batch]):
    """Sends every batch through the transport made for each worker by `transport_factory`."""

    def __init__(
        self,
        transport_factory: Callable[[int], Transport],
        metrics: Metrics,
        dead_letter: DeadLetterWriter | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._factory = transport_factory
        self._metrics = metrics
        self._dead_letter = dead_letter
        self._clock = clock

    def build(
        self, step_id: str, worker_index: int, worker_count: int
    ) -> StatelessSinkPartition[Batch]:
        return _DeliveryPartition(
            self._factory(worker_index), self._metrics, self._dead_letter, self._clock
        )


class _DeliveryPartition(StatelessSinkPartition[Batch]):
    def __init__(
        self,
        transport: Transport,
        metrics: Metrics,
        dead_letter: DeadLetterWriter | None,
        clock: Callable[[], float],
    ) -> None:
        self._transport = transport
        self._metrics = metrics
        self._dead_letter = dead_letter
        self._clock = clock

    def write_batch(self, items: list[Batch]) -> None:
        for batch in items:
            self._send(batch)

    def _send(self, batch: Batch) -> None:
        metrics = self._metrics
        size = len(batch.candidates)
        try:
            self._transport.send(batch)
        except Exception as exc:  # any failure of a downstream system is counted, not raised
            log.warning("send of a %s batch of %d failed: %s", batch.priority, size, exc)
            metrics.send_failures.inc(size)
            if self._dead_letter is not None:
                reason = f"send_failed: {exc}"
                self._dead_letter([c.dead_letter_line(reason) for c in batch.candidates])
            return
        acked = self._clock()
        metrics.candidates_sent.labels(batch.priority).inc(size)
        metrics.batches_sent.labels(batch.priority).inc()
        metrics.batch_size.observe(size)
        for candidate in batch.candidates:
            metrics.detect_to_send_seconds.observe(max(0.0, acked - candidate.launch.arrived_at))

    def close(self) -> None:
        self._transport.close()
