"""What a person watching the job sees: one compact line on stderr every `status_interval_s`,
with the rates since the previous line and where the job stands."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from domain.metrics import Metrics
from domain.models import HIGH, LOW
from observability.periodic import Periodic


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


class StatusLine(Periodic):
    """Writes `status_line` to `stream` (stderr unless given) every `interval_s` from `start()`
    until `close()`."""

    def __init__(
        self, metrics: Metrics, interval_s: float, capacity: int, stream: TextIO | None = None
    ) -> None:
        super().__init__("sniffer-status", interval_s)
        self._metrics = metrics
        self._capacity = capacity
        self._stream = stream if stream is not None else sys.stderr
        self._previous: dict[str, float] = {}
        self._previous_at = 0.0
        self._previous_detected = (0.0, 0.0)

    def start(self) -> None:
        self._remember(self._metrics.snapshot(), time.monotonic(), self._detected_by_priority())
        super().start()

    def tick(self) -> None:
        now = time.monotonic()
        current, detected = self._metrics.snapshot(), self._detected_by_priority()
        delta = (
            detected[0] - self._previous_detected[0],
            detected[1] - self._previous_detected[1],
        )
        seconds = now - self._previous_at
        line = status_line(self._previous, current, seconds, delta, self._capacity)
        self._stream.write(line + "\n")  # one write: a log line cannot land inside it
        self._stream.flush()
        self._remember(current, now, detected)

    def _remember(self, snap: dict[str, float], at: float, detected: tuple[float, float]) -> None:
        self._previous, self._previous_at, self._previous_detected = snap, at, detected

    def _detected_by_priority(self) -> tuple[float, float]:
        totals = {HIGH: 0.0, LOW: 0.0}
        for family in self._metrics.candidates_detected.collect():
            for sample in family.samples:
                if sample.name.endswith("_total"):
                    totals[sample.labels["priority"]] += sample.value
        return totals[HIGH], totals[LOW]
