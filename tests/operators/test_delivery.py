"""The send path as it stands: every batch through the transport, counted; a failing transport
is counted and dead-lettered and never stops the job."""

from __future__ import annotations

import bytewax.operators as op
from bytewax.dataflow import Dataflow
from bytewax.testing import TestingSource, run_main
from prometheus_client import CollectorRegistry

from domain.metrics import Metrics
from domain.models import LOW, Batch
from domain.transport import SendError
from operators.delivery import DeliverySink
from tests.factories import make_batch


class Recording:
    def __init__(self) -> None:
        self.batches: list[Batch] = []

    def send(self, batch: Batch) -> None:
        self.batches.append(batch)

    def close(self) -> None:
        pass


class Failing(Recording):
    def send(self, batch: Batch) -> None:
        raise SendError("downstream said no")


def run(batches: list[Batch], transport: Recording, dead: list[bytes] | None = None) -> Metrics:
    metrics = Metrics(CollectorRegistry())
    flow = Dataflow("delivery_test")
    sink = DeliverySink(
        lambda worker: transport,
        metrics,
        dead_letter=dead.extend if dead is not None else None,
        clock=lambda: 1_800_000_010.0,
    )
    op.output("deliver", op.input("in", flow, TestingSource(batches)), sink)
    run_main(flow)
    return metrics


def test_every_batch_is_sent_and_counted() -> None:
    transport = Recording()
    metrics = run([make_batch(range(3)), make_batch(range(3, 5), LOW)], transport)
    assert [len(b.candidates) for b in transport.batches] == [3, 2]
    snap = metrics.snapshot()
    assert snap["candidates_sent"] == 5
    assert snap["batches_sent"] == 2
    assert metrics.registry.get_sample_value("sniffer_candidates_sent_total", {"priority": "LOW"})
    assert metrics.registry.get_sample_value("sniffer_batch_size_count") == 2
    # The factories' frames arrived at 1_800_000_000 + n; the clock says the ack came at +10.
    assert metrics.registry.get_sample_value("sniffer_detect_to_send_seconds_sum") == sum(
        10.0 - n for n in range(5)
    )


def test_a_failing_transport_is_counted_and_dead_lettered() -> None:
    dead: list[bytes] = []
    metrics = run([make_batch(range(4))], Failing(), dead)
    snap = metrics.snapshot()
    assert snap["send_failures"] == 4
    assert snap["candidates_sent"] == 0
    assert len(dead) == 4
    assert b"downstream said no" in dead[0]
