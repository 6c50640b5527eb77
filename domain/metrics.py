"""`Metrics`: the one object every step and connector counts into.

Each series of the contract is a prometheus_client metric in a registry that the caller chooses
(tests pass a fresh `CollectorRegistry` and read samples back). The JSON snapshot of the contract is
computed from those same series, so Prometheus and the snapshot can never disagree.

A process holds one `Metrics`; every worker thread of the process counts into it (prometheus_client
guards each value with a lock). In a cluster each process reports its own numbers.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from domain.models import PRIORITIES

#: Snapshot keys, in the contract's order.
SNAPSHOT_KEYS = (
    "tx_seen",
    "tx_ignored",
    "tx_invalid",
    "duplicates",
    "candidates_rejected",
    "candidates_detected",
    "candidates_sent",
    "dropped_full_buffer",
    "dropped_shutdown",
    "dropped_stale",
    "send_failures",
    "send_retries",
    "backpressure_events",
    "stream_buffer_depth",
    "stream_buffer_capacity",
    "batches_sent",
    "uptime_s",
)

#: Counter values by series name and label set, as `Metrics.export_counts` returns them.
CountsExport = tuple[tuple[str, tuple[tuple[str, str], ...], float], ...]

_BATCH_SIZE_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
_LATENCY_BUCKETS = (
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
)  # fmt: skip


class Metrics:
    """Every counter, gauge and histogram of the contract, plus the project's own extras."""

    def __init__(self, registry: CollectorRegistry | None = None, *, capacity: int = 0) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.started_at = time.monotonic()
        #: Held while one item's counts are updated together (a frame's `tx_seen` and its
        #: outcome; a candidate's send and its leaving the buffer) and while the counts are
        #: exported for a recovery snapshot, so an export never sees half an update. With that,
        #: both conservation laws hold at every instant, not only at rest.
        self.lock = threading.RLock()
        r = self.registry

        self.tx_seen = Counter("sniffer_tx_seen", "Frames received from the sources.", registry=r)
        self.tx_ignored = Counter(
            "sniffer_tx_ignored", "Frames that hold no launch, or a failed transaction.", registry=r
        )
        self.tx_invalid = Counter(
            "sniffer_tx_invalid",
            "Frames that could not be decoded, by reason.",
            ["reason"],
            registry=r,
        )
        self.duplicates = Counter(
            "sniffer_duplicates", "Launches seen before (same signature or mint).", registry=r
        )
        self.candidates_rejected = Counter(
            "sniffer_candidates_rejected",
            "Launches rejected by a filter, by reason.",
            ["reason"],
            registry=r,
        )
        self.candidates_detected = Counter(
            "sniffer_candidates_detected",
            "Launches that became candidates.",
            ["launchpad", "priority"],
            registry=r,
        )
        self.candidates_sent = Counter(
            "sniffer_candidates_sent",
            "Candidates the sink acknowledged.",
            ["priority"],
            registry=r,
        )
        self.dropped_full_buffer = Counter(
            "sniffer_dropped_full_buffer",
            "Candidates dropped because their stream buffer was full.",
            ["priority"],
            registry=r,
        )
        self.dropped_shutdown = Counter(
            "sniffer_dropped_shutdown",
            "Candidates still buffered when the shutdown drain timed out.",
            registry=r,
        )
        self.dropped_stale = Counter(
            "sniffer_dropped_stale",
            "Candidates older than max_candidate_age_ms when their turn to be sent came.",
            registry=r,
        )
        self.send_failures = Counter(
            "sniffer_send_failures",
            "Candidates in batches that failed after every retry.",
            registry=r,
        )
        self.send_retries = Counter("sniffer_send_retries", "Send attempts retried.", registry=r)
        self.backpressure_events = Counter(
            "sniffer_backpressure_events",
            "Candidates that found their stream buffer full.",
            registry=r,
        )
        self.batches_sent = Counter(
            "sniffer_batches_sent", "Batches the sink acknowledged.", ["priority"], registry=r
        )
        self.stream_buffer_depth = Gauge(
            "sniffer_stream_buffer_depth",
            "Candidates waiting in the stream buffers.",
            ["priority"],
            registry=r,
        )
        self.stream_buffer_capacity = Gauge(
            "sniffer_stream_buffer_capacity",
            "Configured capacity of one stream buffer.",
            registry=r,
        )
        self.batch_size = Histogram(
            "sniffer_batch_size",
            "Candidates per batch handed to the sink.",
            buckets=_BATCH_SIZE_BUCKETS,
            registry=r,
        )
        self.detect_to_send_seconds = Histogram(
            "sniffer_detect_to_send_seconds",
            "From the frame's arrival to the sink's acknowledgement.",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        # The project's own extras.
        self.tx_truncated = Counter(
            "sniffer_tx_truncated",
            "Launches whose logs were cut before every field could be read.",
            registry=r,
        )
        self.dead_letters = Counter(
            "sniffer_dead_letters", "Records appended to the dead-letter file.", registry=r
        )
        # Sources that push (a websocket) or pull from a server (Redis, Kafka).
        self.source_reconnects = Counter(
            "sniffer_source_reconnects",
            "Times a source lost its connection and connected again.",
            ["source"],
            registry=r,
        )
        self.source_gap_slots = Gauge(
            "sniffer_source_gap_slots",
            "Slots between the last frame before the latest reconnect and the first after it.",
            ["source"],
            registry=r,
        )
        self.source_gap_last_slot_before = Gauge(
            "sniffer_source_gap_last_slot_before",
            "The last slot seen before the latest reconnect.",
            ["source"],
            registry=r,
        )
        self.source_gap_first_slot_after = Gauge(
            "sniffer_source_gap_first_slot_after",
            "The first slot seen after the latest reconnect.",
            ["source"],
            registry=r,
        )
        self.source_queue_depth = Gauge(
            "sniffer_source_queue_depth",
            "Frames a source holds that the dataflow has not taken yet.",
            ["source"],
            registry=r,
        )
        self.source_dropped = Counter(
            "sniffer_source_dropped",
            "Frames a source dropped before the dataflow saw them (its queue was full).",
            ["source"],
            registry=r,
        )
        self.source_errors = Counter(
            "sniffer_source_errors",
            "Errors a source reported (refused subscriptions, rate limits, bad replies).",
            ["source", "kind"],
            registry=r,
        )
        self.frames_recorded = Counter(
            "sniffer_frames_recorded", "Raw frames written to record_path.", registry=r
        )

        self.stream_buffer_capacity.set(capacity)
        for priority in PRIORITIES:
            # Touch the labelled children so every series exists from the start (a dashboard
            # shows 0, not "no data", before the first candidate).
            self.candidates_sent.labels(priority)
            self.dropped_full_buffer.labels(priority)
            self.batches_sent.labels(priority)
            self.stream_buffer_depth.labels(priority).set(0)

    def _counters(self) -> list[Counter]:
        return [m for m in vars(self).values() if isinstance(m, Counter)]

    def export_counts(self) -> CountsExport:
        """Every counter's value per label set, for a recovery snapshot. Take `lock` around
        this and whatever else the snapshot holds, to get one consistent cut."""
        counts = []
        with self.lock:
            for counter in self._counters():
                for family in counter.collect():
                    for sample in family.samples:
                        if sample.name.endswith("_total") and sample.value:
                            labels = tuple(sorted(sample.labels.items()))
                            counts.append((family.name, labels, sample.value))
        return tuple(counts)

    def restore_counts(self, counts: CountsExport) -> None:
        """Add counts exported by `export_counts` (a resumed run continues from them)."""
        by_name: dict[str, Counter] = {}
        for counter in self._counters():
            for family in counter.collect():
                by_name[family.name] = counter
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
        totals: dict[str, float] = {}
        for metric in self.registry.collect():
            totals[metric.name] = sum(
                sample.value
                for sample in metric.samples
                if sample.name in (metric.name + "_total", metric.name)
            )
        snap: dict[str, float] = {}
        for key in SNAPSHOT_KEYS:
            if key == "uptime_s":
                snap[key] = round(time.monotonic() - self.started_at, 3)
            else:
                value = totals.get("sniffer_" + key, 0.0)
                snap[key] = int(value) if float(value).is_integer() else value
        return snap


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
