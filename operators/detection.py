"""The detection step: raw frames in, launches and invalid frames out.

A frame is counted in `tx_seen` at the moment its outcome is counted, in the same step and under
`Metrics.lock`: here for the ignored and the invalid, in dedup for a duplicate, in the filter for a
rejection, and where the send path takes a candidate in for `candidates_detected`. So the first
conservation law holds at every instant, not only at rest, and a recovery snapshot of the counters
taken at any moment is consistent (see operators/delivery.py).

Counting happens once per batch of frames Bytewax hands over, not once per frame: a
prometheus_client increment takes a lock, and at 100k+ frames/s that lock would be the hot path.

Per launchpad it also counts the launches found (before dedup), the fields a launch lacked that
its kind of frame carries (``sniffer_launch_partial_total``), and the frames whose logs invoke the
launchpad's program. That last one would cost a scan of every frame's logs per launchpad, more than
decoding the frame, so it is estimated from every `MENTION_SAMPLE`-th frame: the alert comparing
detected launches with program traffic only needs the rate's order of magnitude.

Most frames are dismissed before any of that by the detector's prefilter (`solwire.prefilter`):
a valid logsNotification without a launch line is counted as ignored without the full decoder.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import bytewax.operators as op
from bytewax.dataflow import Stream

from domain.metrics import Metrics
from domain.models import InvalidFrame, Launch, RawFrame
from operators.decode import ALL_LAUNCHPADS, decode_frame
from solwire.detect import Detector
from solwire.txmodel import Transaction

#: One frame in this many is checked for the launchpads' program invocations (a scan of the
#: frame per launchpad: at 8 it cost a sixth of the whole detection step).
MENTION_SAMPLE = 64


@dataclass(frozen=True)
class Detected:
    """The two streams the detection step produces."""

    launches: Stream[Launch]
    invalid: Stream[InvalidFrame]


class FrameCounter:
    """Decodes a list of frames and counts the outcomes into `metrics` in one go."""

    def __init__(
        self,
        metrics: Metrics,
        clock: Callable[[], float] = time.time,
        detector: Detector = ALL_LAUNCHPADS,
    ) -> None:
        self._metrics = metrics
        self._clock = clock
        self._detector = detector
        self._invokes = tuple(
            (lp.name, f"Program {lp.program} invoke [") for lp in detector.launchpads
        )
        # The same, to search raw bytes: ASCII, so found in the bytes exactly when found in
        # their UTF-8 text.
        self._invokes_bytes = tuple((name, invoke.encode()) for name, invoke in self._invokes)
        self._until_sample = 0

    def __call__(self, frames: list[RawFrame]) -> list[Launch | InvalidFrame]:
        detected_at = self._clock()
        out: list[Launch | InvalidFrame] = []
        truncated = 0
        invalid: Counter[str] = Counter()
        found: Counter[tuple[str, str]] = Counter()
        partial: Counter[tuple[str, str]] = Counter()
        detector = self._detector
        sources: Counter[str] = Counter(getattr(frame, "source", "") for frame in frames)
        kept = self._sift(frames)
        # What the prefilter dismissed is a valid frame holding no launch: ignored.
        ignored = len(frames) - len(kept)
        for position, tx in kept:
            outcome = decode_frame(frames[position], detected_at, detector, tx)
            if outcome is None:
                ignored += 1
                continue
            if isinstance(outcome, InvalidFrame):
                invalid[outcome.reason] += 1
            else:
                found[outcome.launchpad, outcome.event] += 1
                for field in outcome.partial:
                    partial[outcome.launchpad, field] += 1
                if outcome.truncated:
                    truncated += 1
            out.append(outcome)
        metrics = self._metrics
        with metrics.lock:
            settled = ignored + sum(invalid.values())
            if settled:
                metrics.tx_seen.inc(settled)
            if ignored:
                metrics.tx_ignored.inc(ignored)
            for reason, count in invalid.items():
                metrics.tx_invalid.labels(reason).inc(count)
        if truncated:
            metrics.tx_truncated.inc(truncated)
        for source, count in sources.items():
            metrics.source_frames.labels(source or "unnamed").inc(count)
        for (launchpad, event), count in found.items():
            metrics.launches_found.labels(launchpad, event).inc(count)
        for (launchpad, field), count in partial.items():
            metrics.launch_partial.labels(launchpad, field).inc(count)
        self._count_mentions(frames)
        return out

    def _sift(self, frames: list[RawFrame]) -> list[tuple[int, Transaction | None]]:
        """The frames the decoder must see (see `solwire.prefilter`); all of them if the
        prefilter fails, which it must not (it would be a bug, and the decoder is the safe
        way)."""
        try:
            return self._detector.prefilter.sift([frame.payload for frame in frames])
        except Exception:
            return [(position, None) for position in range(len(frames))]

    def _count_mentions(self, frames: list[RawFrame]) -> None:
        """Program invocations in every `MENTION_SAMPLE`-th frame's raw text, times the sample."""
        position = self._until_sample
        mentions: Counter[str] = Counter()
        while position < len(frames):
            payload = getattr(frames[position], "payload", None)
            if isinstance(payload, bytes):
                for name, raw_invoke in self._invokes_bytes:
                    if raw_invoke in payload:
                        mentions[name] += MENTION_SAMPLE
            else:
                if isinstance(payload, Transaction):
                    payload = payload.log_text  # a binary source's: its logs hold the invocations
                if isinstance(payload, str):
                    for name, invoke in self._invokes:
                        if invoke in payload:
                            mentions[name] += MENTION_SAMPLE
            position += MENTION_SAMPLE
        self._until_sample = position - len(frames)
        for name, count in mentions.items():
            self._metrics.launchpad_frames.labels(name).inc(count)


def _is_launch(item: Launch | InvalidFrame) -> bool:
    return isinstance(item, Launch)


def detect_launches(
    step_id: str,
    frames: Stream[RawFrame],
    metrics: Metrics,
    clock: Callable[[], float] = time.time,
    detector: Detector = ALL_LAUNCHPADS,
) -> Detected:
    """Decode every frame; split launches from invalid frames. Never raises on bad input.

    `detector` decides which launchpads count (the ``launchpads`` setting)."""
    outcomes = op.flat_map_batch(step_id, frames, FrameCounter(metrics, clock, detector))
    split = op.branch(f"{step_id}_split", outcomes, _is_launch)
    return Detected(launches=split.trues, invalid=split.falses)  # type: ignore[arg-type]
