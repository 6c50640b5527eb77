"""What a person watching the job sees: a compact status line on stderr every few seconds, and
the JSON snapshot written to `snapshot_path` periodically (atomically, so a reader never sees
half a file)."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path
from typing import TextIO

import orjson

from domain.metrics import Metrics
from domain.models import HIGH, LOW


def status_line(previous: dict[str, float], current: dict[str, float], seconds: float,
                per_priority: tuple[float, float], capacity: int) -> str:  # fmt: skip
    """One line: rates since the previous snapshot, then where the job stands."""
    seconds = max(seconds, 1e-9)
    tx_rate = (current["tx_seen"] - previous["tx_seen"]) / seconds
    high, low = per_priority
    dropped = (
        current["dropped_full_buffer"] + current["dropped_stale"] + current["dropped_shutdown"]
    )
    return (
        f"sniffer: {tx_rate:,.0f} tx/s"
        f" | candidates/s HIGH {high / seconds:.1f} LOW {low / seconds:.1f}"
        f" | buffered {int(current['stream_buffer_depth'])} (capacity {capacity} per priority)"
        f" | sent {int(current['candidates_sent'])}"
        f" | dropped {int(dropped)}"
        f" | backpressure {int(current['backpressure_events'])}"
        f" | invalid {int(current['tx_invalid'])}"
    )


def write_snapshot(metrics: Metrics, path: Path) -> None:
    """Write the snapshot to `path` atomically (write a temporary file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(orjson.dumps(metrics.snapshot()) + b"\n")
    os.replace(tmp, path)


class StatusReporter:
    """A daemon thread: the status line every `status_interval_s` (0 = off) and the snapshot
    file every `snapshot_interval_s` when `snapshot_path` is set."""

    def __init__(
        self,
        metrics: Metrics,
        *,
        status_interval_s: float,
        snapshot_path: Path | None,
        snapshot_interval_s: float,
        capacity: int,
        stream: TextIO | None = None,
    ) -> None:
        self._metrics = metrics
        self._status_interval_s = status_interval_s
        self._snapshot_path = snapshot_path
        self._snapshot_interval_s = snapshot_interval_s
        self._capacity = capacity
        self._stream = stream if stream is not None else sys.stderr
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sniffer-status", daemon=True)

    @property
    def active(self) -> bool:
        return self._status_interval_s > 0 or self._snapshot_path is not None

    def start(self) -> None:
        if self.active:
            self._thread.start()

    def stop(self) -> None:
        """Stop, and write the snapshot file one last time."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        if self._snapshot_path is not None:
            write_snapshot(self._metrics, self._snapshot_path)

    def _run(self) -> None:
        tick = min(i for i in (self._status_interval_s, self._snapshot_interval_s) if i > 0)
        previous, previous_at = self._metrics.snapshot(), time.monotonic()
        previous_detected = self._detected_by_priority()
        next_status = previous_at + self._status_interval_s
        next_snapshot = previous_at + self._snapshot_interval_s
        while not self._stop.wait(tick):
            now = time.monotonic()
            if self._snapshot_path is not None and now >= next_snapshot:
                write_snapshot(self._metrics, self._snapshot_path)
                next_snapshot = now + self._snapshot_interval_s
            if self._status_interval_s > 0 and now >= next_status:
                current, detected = self._metrics.snapshot(), self._detected_by_priority()
                delta = (detected[0] - previous_detected[0], detected[1] - previous_detected[1])
                line = status_line(previous, current, now - previous_at, delta, self._capacity)
                self._stream.write(line + "\n")
                self._stream.flush()
                previous, previous_at, previous_detected = current, now, detected
                next_status = now + self._status_interval_s

    def _detected_by_priority(self) -> tuple[float, float]:
        totals = {HIGH: 0.0, LOW: 0.0}
        for family in self._metrics.candidates_detected.collect():
            for sample in family.samples:
                if sample.name.endswith("_total"):
                    totals[sample.labels["priority"]] += sample.value
        return totals[HIGH], totals[LOW]
