"""The sniffer's dataflow, wired from a `SnifferConfig`. Wiring only: every decision about data
is made in an operator.

    source ─> detect ─┬─> dedup ─> filter ─> score ─┬─ HIGH ─> batch_high ─┐
                      │   (one key: cluster-wide     └─ LOW ──> batch_low ──┴─> deliver ─> sink
                      │    dedup, order kept)            (stream buffers, drop policy, rate
                      │                                   limit, retries, sync | async)
                      └─> invalid frames ─> dead-letter file (when configured)
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import bytewax.operators as op
from bytewax.dataflow import Dataflow
from bytewax.inputs import FixedPartitionedSource

from connectors.dead_letter import DeadLetterFile, DeadLetterSink
from connectors.recorder import FrameRecorder, RecordingSource
from domain.config import SnifferConfig
from domain.metrics import Metrics
from domain.models import HIGH, LOW, Candidate, InvalidFrame, Launch, RawFrame
from domain.shutdown import Shutdown
from domain.transport import Transport
from flows.endpoints import make_source, make_transport
from flows.lifecycle import PROCESS, Closer
from flows.settings import (
    delivery_settings,
    filter_settings,
    launchpad_detector,
    scoring_settings,
)
from flows.stoppable import StoppableSource
from operators.batching import batch_candidates
from operators.dedup import dedup_launches
from operators.delivery import deliver
from operators.detection import detect_launches
from operators.filters import filter_launches
from operators.scoring import score_launches

#: Every launch goes to one key: see the module docstring of operators/dedup.py.
CANDIDATE_KEY = "launches"


def _one_key(_launch: Launch) -> str:
    return CANDIDATE_KEY


def _is_high(item: tuple[str, Candidate]) -> bool:
    return item[1].priority == HIGH


def _dead_letter_line(invalid: InvalidFrame) -> bytes:
    return invalid.dead_letter_line()


def build_flow(
    config: SnifferConfig,
    metrics: Metrics,
    *,
    source: FixedPartitionedSource[RawFrame, Any] | None = None,
    transport: Transport | None = None,
    shutdown: Shutdown | None = None,
    flow_id: str = "sniffer",
    closer: Closer = PROCESS,
) -> Dataflow:
    """The whole job. Tests may hand in their own source or transport (which they then open
    and close themselves); the transport and files made here are opened through `closer`,
    which closes them when the process exits."""
    shutdown = shutdown if shutdown is not None else Shutdown()
    flow = Dataflow(flow_id)
    source = source if source is not None else make_source(config, metrics)
    if config.record_path is not None:
        recorder = closer.open(FrameRecorder(config.record_path, metrics))
        source = RecordingSource(source, recorder)
    frames = op.input("frames", flow, StoppableSource(source, shutdown))

    detected = detect_launches("detect", frames, metrics, detector=launchpad_detector(config))
    dead_letters = (
        closer.open(DeadLetterFile(config.dead_letter_path, metrics))
        if config.dead_letter_path
        else None
    )
    if dead_letters is not None:
        lines = op.map("invalid_lines", detected.invalid, _dead_letter_line)
        op.output("dead_letter", lines, DeadLetterSink(dead_letters))

    keyed = op.key_on("one_key", detected.launches, _one_key)
    unique = dedup_launches("dedup", keyed, config.dedup_capacity, metrics)
    kept = filter_launches("filter", unique, filter_settings(config), metrics)
    candidates = score_launches("score", kept, scoring_settings(config))

    by_priority = op.branch("priority", candidates, _is_high)
    timeout = timedelta(milliseconds=config.batch_timeout_ms)
    high = batch_candidates("batch_high", by_priority.trues, HIGH, config.batch_size, timeout)
    low = batch_candidates("batch_low", by_priority.falses, LOW, config.batch_size, timeout)
    batches = op.merge("batches", high, low)
    deliver(
        "deliver",
        batches,
        delivery_settings(config),
        metrics,
        transport if transport is not None else closer.open(make_transport(config)),
        shutdown,
        dead_letter=dead_letters.append if dead_letters is not None else None,
    )
    return flow
