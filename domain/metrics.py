"""`Metrics`: the one object every step and connector counts into.

Every series is one row of `METRICS`; `Metrics` builds its attributes from the rows and the
contract's JSON snapshot keys (`SNAPSHOT_KEYS`) come from the same rows, so a series and its
snapshot key cannot drift apart, and a table that disagrees with the attributes the operators
use fails at import. The snapshot is computed from the series themselves, so Prometheus and the
snapshot never disagree.

The registry is the caller's (tests pass a fresh `CollectorRegistry` and read samples back). A
process holds one `Metrics`; every worker thread of the process counts into it (prometheus_client
guards each value with a lock). In a cluster each process reports its own numbers.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from domain.models import PRIORITIES

#: Counter values by series name and label set, as `Metrics.export_counts` returns them.
CountsExport = tuple[tuple[str, tuple[tuple[str, str], ...], float], ...]

_PREFIX = "sniffer_"
_BATCH_SIZE_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
_LATENCY_BUCKETS = (
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
)  # fmt: skip

_LAG_BUCKETS = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
)  # fmt: skip

Kind = type[Counter] | type[Gauge] | type[Histogram]


@dataclass(frozen=True)
class MetricSpec:
    """One series: its Prometheus name (without the `_total` prometheus_client appends to a
    counter), kind, label names and help. `Metrics` exposes it as the name without `sniffer_`;
    with `snapshot` that is also its key in the JSON snapshot (the total over its labels)."""

    name: str
    kind: Kind
    labels: tuple[str, ...]
    snapshot: bool
    help: str
    buckets: tuple[float, ...] = ()

    @property
    def attribute(self) -> str:
        return self.name.removeprefix(_PREFIX)

    def build(self, registry: CollectorRegistry) -> Counter | Gauge | Histogram:
        if self.kind is Histogram:
            return Histogram(self.name, self.help, self.labels, registry=registry,
                             buckets=self.buckets)  # fmt: skip
        return self.kind(self.name, self.help, self.labels, registry=registry)


#: Every series the job exports. The snapshot's rows come first, in the contract's key order.
# fmt: off
METRICS: tuple[MetricSpec, ...] = (
    # name, kind, labels, in the snapshot; help
    MetricSpec("sniffer_tx_seen", Counter, (), True,
               "Frames received from the sources."),
    MetricSpec("sniffer_tx_ignored", Counter, (), True,
               "Frames that hold no launch, or a failed transaction."),
    MetricSpec("sniffer_tx_invalid", Counter, ("reason",), True,
               "Frames that could not be decoded, by reason."),
    MetricSpec("sniffer_duplicates", Counter, (), True,
               "Launches seen before (same signature or mint)."),
    MetricSpec("sniffer_candidates_rejected", Counter, ("reason",), True,
               "Launches rejected by a filter, by reason."),
    MetricSpec("sniffer_candidates_detected", Counter, ("launchpad", "priority"), True,
               "Launches that became candidates."),
    MetricSpec("sniffer_candidates_sent", Counter, ("priority",), True,
               "Candidates the sink acknowledged."),
    MetricSpec("sniffer_dropped_full_buffer", Counter, ("priority",), True,
               "Candidates dropped because their stream buffer was full."),
    MetricSpec("sniffer_dropped_shutdown", Counter, (), True,
               "Candidates still buffered when the shutdown drain timed out."),
    MetricSpec("sniffer_dropped_stale", Counter, (), True,
               "Candidates older than max_candidate_age_ms when their turn to be sent came."),
    MetricSpec("sniffer_send_failures", Counter, (), True,
               "Candidates in batches that failed after every retry."),
    MetricSpec("sniffer_send_retries", Counter, (), True,
               "Send attempts retried."),
    MetricSpec("sniffer_backpressure_events", Counter, (), True,
               "Candidates that found their stream buffer full."),
    MetricSpec("sniffer_stream_buffer_depth", Gauge, ("priority",), True,
               "Candidates waiting in the stream buffers."),
    MetricSpec("sniffer_stream_buffer_capacity", Gauge, (), True,
               "Configured capacity of one stream buffer."),
    MetricSpec("sniffer_batches_sent", Counter, ("priority",), True,
               "Batches the sink acknowledged."),
    MetricSpec("sniffer_batch_size", Histogram, (), False,
               "Candidates per batch handed to the sink.", buckets=_BATCH_SIZE_BUCKETS),
    MetricSpec("sniffer_detect_to_send_seconds", Histogram, (), False,
               "From the frame's arrival to the sink's acknowledgement.", buckets=_LATENCY_BUCKETS),
    # The project's own extras.
    MetricSpec("sniffer_tx_truncated", Counter, (), False,
               "Launches whose logs were cut before every field could be read."),
    # Per launchpad: the early signs of a program upgrade the decoder has not caught up with.
    MetricSpec("sniffer_launch_partial", Counter, ("launchpad", "field"), False,
               "Launches found with a field this kind of frame carries that could not be read."),
    MetricSpec("sniffer_launches_found", Counter, ("launchpad", "event"), False,
               "Launches the decoder found, before dedup and filters."),
    MetricSpec("sniffer_launchpad_frames", Counter, ("launchpad",), False,
               "Frames whose logs show an invocation of the launchpad's program (estimated from "
               "every 8th frame, times 8)."),
    MetricSpec("sniffer_dead_letters", Counter, (), False,
               "Records appended to the dead-letter file."),
    # Sources that push (a websocket) or pull from a server (Redis, Kafka).
    MetricSpec("sniffer_source_frames", Counter, ("source",), False,
               "Frames the dataflow took from each source."),
    MetricSpec("sniffer_source_first", Counter, ("source",), False,
               "Launches this source delivered before any other source did."),
    MetricSpec("sniffer_source_lag_seconds", Histogram, ("source",), False,
               "How long after the first source this one delivered the same launch.",
               buckets=_LAG_BUCKETS),
    MetricSpec("sniffer_source_reconnects", Counter, ("source",), False,
               "Times a source lost its connection and connected again."),
    MetricSpec("sniffer_source_gap_slots", Gauge, ("source",), False,
               "Slots between the last frame before the latest reconnect and the first after it."),
    MetricSpec("sniffer_source_gap_last_slot_before", Gauge, ("source",), False,
               "The last slot seen before the latest reconnect."),
    MetricSpec("sniffer_source_gap_first_slot_after", Gauge, ("source",), False,
               "The first slot seen after the latest reconnect."),
    MetricSpec("sniffer_source_queue_depth", Gauge, ("source",), False,
               "Frames a source holds that the dataflow has not taken yet."),
    MetricSpec("sniffer_source_dropped", Counter, ("source",), False,
               "Frames a source dropped before the dataflow saw them (its queue was full)."),
    MetricSpec("sniffer_source_errors", Counter, ("source", "kind"), False,
               "Errors a source reported (refused subscriptions, rate limits, bad replies)."),
    MetricSpec("sniffer_frames_recorded", Counter, (), False,
               "Raw frames written to record_path."),
)
# fmt: on

#: The snapshot's one key that is not a series: seconds since this process's `Metrics` began.
UPTIME_KEY = "uptime_s"
#: Snapshot keys, in the contract's order.
SNAPSHOT_KEYS: tuple[str, ...] = (
    *(spec.attribute for spec in METRICS if spec.snapshot),
    UPTIME_KEY,
)


class Metrics:
    """Every series of `METRICS` as an attribute (`metrics.tx_seen.inc()`), in `registry`."""

    # The typed surface the steps count into; `_check_table` holds it to `METRICS` at import.
    tx_seen: Counter
    tx_ignored: Counter
    tx_invalid: Counter
    duplicates: Counter
    candidates_rejected: Counter
    candidates_detected: Counter
    candidates_sent: Counter
    dropped_full_buffer: Counter
    dropped_shutdown: Counter
    dropped_stale: Counter
    send_failures: Counter
    send_retries: Counter
    backpressure_events: Counter
    stream_buffer_depth: Gauge
    stream_buffer_capacity: Gauge
    batches_sent: Counter
    batch_size: Histogram
    detect_to_send_seconds: Histogram
    tx_truncated: Counter
    launch_partial: Counter
    launches_found: Counter
    launchpad_frames: Counter
    dead_letters: Counter
    source_frames: Counter
    source_first: Counter
    source_lag_seconds: Histogram
    source_reconnects: Counter
    source_gap_slots: Gauge
    source_gap_last_slot_before: Gauge
    source_gap_first_slot_after: Gauge
    source_queue_depth: Gauge
    source_dropped: Counter
    source_errors: Counter
    frames_recorded: Counter

    def __init__(self, registry: CollectorRegistry | None = None, *, capacity: int = 0) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.started_at = time.monotonic()
        #: Held while one item's counts are updated together (a frame's `tx_seen` and its
        #: outcome; a candidate's send and its leaving the buffer) and while the counts are
        #: exported for a recovery snapshot, so an export never sees half an update. With that,
        #: both conservation laws hold at every instant, not only at rest.
        self.lock = threading.RLock()
        self._series = {spec: spec.build(self.registry) for spec in METRICS}
        for spec, series in self._series.items():
            setattr(self, spec.attribute, series)

        self.stream_buffer_capacity.set(capacity)
        for priority in PRIORITIES:
            # Touch the labelled children so every series exists from the start (a dashboard
            # shows 0, not "no data", before the first candidate).
            self.candidates_sent.labels(priority)
            self.dropped_full_buffer.labels(priority)
            self.batches_sent.labels(priority)
            self.stream_buffer_depth.labels(priority).set(0)

    def _counters(self) -> dict[str, Counter]:
        return {
            spec.name: series
            for spec, series in self._series.items()
            if isinstance(series, Counter)
        }

    def export_counts(self) -> CountsExport:
        """Every counter's value per label set, for a recovery snapshot. Take `lock` around
        this and whatever else the snapshot holds, to get one consistent cut."""
        counts = []
        with self.lock:
            for name, counter in self._counters().items():
                for family in counter.collect():
                    for sample in family.samples:
                        if sample.name.endswith("_total") and sample.value:
                            labels = tuple(sorted(sample.labels.items()))
                            counts.append((name, labels, sample.value))
        return tuple(counts)

    def restore_counts(self, counts: CountsExport) -> None:
        """Add counts exported by `export_counts` (a resumed run continues from them)."""
        by_name = self._counters()
        with self.lock:
            for name, labels, value in counts:
                target = by_name.get(name)
                if target is None:
                    continue  # a series this version no longer has
                if labels:
                    target.labels(**dict(labels)).inc(value)
                else:
                    target.inc(value)

    def snapshot(self) -> dict[str, float]:
        """The contract's JSON snapshot: every key, each a number, totals over all labels."""
        snap: dict[str, float] = {}
        for spec, series in self._series.items():
            if spec.snapshot:
                value = sum(
                    sample.value
                    for family in series.collect()
                    for sample in family.samples
                    if sample.name in (spec.name + "_total", spec.name)
                )
                snap[spec.attribute] = int(value) if float(value).is_integer() else value
        snap[UPTIME_KEY] = round(time.monotonic() - self.started_at, 3)
        return snap


def table_problems(table: tuple[MetricSpec, ...], annotations: dict[str, Any]) -> list[str]:
    """Where `table` and the attributes annotated on `Metrics` disagree, or a name is ill formed.
    Run at import, so a misspelt or missing row is an ImportError, not a series or snapshot key
    that silently reads 0."""
    kinds = ("Counter", "Gauge", "Histogram")
    declared = {name: str(kind) for name, kind in annotations.items() if str(kind) in kinds}
    rows = {spec.attribute: spec.kind.__name__ for spec in table}
    problems = [f"{name}: declared {kind}, table {rows.get(name)}"
                for name, kind in declared.items() if rows.get(name) != kind]  # fmt: skip
    problems += [f"{name}: in the table, not declared on Metrics"
                 for name in rows if name not in declared]  # fmt: skip
    problems += [f"{spec.name}: a series name starts {_PREFIX!r} and has no _total"
                 for spec in table
                 if not spec.name.startswith(_PREFIX) or spec.name.endswith("_total")]  # fmt: skip
    if len(rows) != len(table):
        problems.append("a series name appears twice in the table")
    if UPTIME_KEY in rows:
        problems.append(f"{UPTIME_KEY} is the snapshot's own key, not a series")
    return problems


_PROBLEMS = table_problems(METRICS, Metrics.__annotations__)
if _PROBLEMS:
    raise ImportError("domain.metrics: " + "; ".join(_PROBLEMS))


def conservation_problems(snapshot: dict[str, Any]) -> list[str]:
    """The contract's two conservation laws; an empty list means both hold."""
    problems = []
    seen_side = (
        snapshot["tx_ignored"]
        + snapshot["tx_invalid"]
        + snapshot["duplicates"]
        + snapshot["candidates_rejected"]
        + snapshot["candidates_detected"]
    )
    if snapshot["tx_seen"] != seen_side:
        problems.append(
            f"tx_seen={snapshot['tx_seen']} but ignored+invalid+duplicates+rejected+detected"
            f"={seen_side}"
        )
    fate = (
        snapshot["candidates_sent"]
        + snapshot["dropped_full_buffer"]
        + snapshot["dropped_shutdown"]
        + snapshot["dropped_stale"]
        + snapshot["send_failures"]
        + snapshot["stream_buffer_depth"]
    )
    if snapshot["candidates_detected"] != fate:
        problems.append(
            f"candidates_detected={snapshot['candidates_detected']} but sent+dropped+failures"
            f"+buffered={fate}"
        )
    return problems
