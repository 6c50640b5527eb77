"""What the load-experiment notebooks share: run the real job, read what it reports, check the
two conservation laws, and show a figure.

Two ways to run the job:

- `run_job(**fields)`: the real command, `python -m bytewax.run flows.sniffer`, in a subprocess,
  configured by `SNIFFER_<FIELD>` variables only (the caller's own `SNIFFER_*` variables are
  left out), reading the JSON snapshot from the last line of stderr, as a user would.
- `run_in_process(**fields)`: the same dataflow (`flows.pipeline.build_flow`) run by
  `bytewax.testing.run_main` in this process with a fresh `Metrics`, so the histograms can be
  read back from its registry (the detect-to-send latency).

Both raise if the job fails or if either conservation law does not hold for its final snapshot.
Every run needs a finite input (`synthetic_total`); by default the synthetic source's
transactions are all launches, the sink is `null` and the metrics endpoint and status lines are
off.
"""

from __future__ import annotations

import io
import json
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.figure import Figure

# Headless: figures are drawn by Agg into a PNG and displayed as an image (see `show`).
matplotlib.use("Agg")

#: Settings every experiment starts from: the delivery side loaded (every transaction a
#: launch), candidates thrown away after the (simulated) consumer, nothing served, no status lines.
BASE_FIELDS: dict[str, Any] = {
    "source": "synthetic",
    "synthetic_launch_ratio": 1.0,
    "sink": "null",
    "metrics_port": 0,
    "status_interval_s": 0,
    "log_level": "WARNING",
}


@dataclass
class Run:
    """One run of the job: its configuration fields, its final snapshot and, for in-process
    runs, the detect-to-send latency quantiles (seconds)."""

    fields: dict[str, Any]
    snapshot: dict[str, Any]
    wall_s: float
    latency_s: dict[float, float] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        """A snapshot value (`run["candidates_sent"]`) or a configuration field."""
        if key in self.snapshot:
            return self.snapshot[key]
        return self.fields[key]

    @property
    def sent_per_s(self) -> float:
        """Candidates the sink acknowledged per second of the job's uptime (which includes its
        start and the drain at the end of the input)."""
        return self.snapshot["candidates_sent"] / max(self.snapshot["uptime_s"], 1e-9)

    @property
    def seen_per_s(self) -> float:
        """Transactions taken in per second of uptime (`block` holds the input back)."""
        return self.snapshot["tx_seen"] / max(self.snapshot["uptime_s"], 1e-9)

    @property
    def drop_share(self) -> float:
        """Share of the detected candidates dropped because their stream buffer was full."""
        detected = self.snapshot["candidates_detected"]
        return self.snapshot["dropped_full_buffer"] / detected if detected else 0.0


def settings(**fields: Any) -> dict[str, str]:
    """`SNIFFER_<FIELD>` variables for `BASE_FIELDS` overridden by `fields`."""
    merged = {**BASE_FIELDS, **fields}
    if merged.get("synthetic_total") is None:
        raise ValueError("an experiment needs a finite input: set synthetic_total")
    return {f"SNIFFER_{name.upper()}": _env_value(value) for name, value in merged.items()}


def _env_value(value: Any) -> str:
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


def check_conserved(snapshot: dict[str, Any], what: str = "run") -> None:
    """Raise if either conservation law of the contract fails for `snapshot`."""
    from domain.metrics import conservation_problems

    problems = conservation_problems(snapshot)
    if problems:
        raise AssertionError(f"{what}: conservation broken: {'; '.join(problems)}")


def run_job(timeout_s: float = 600, **fields: Any) -> Run:
    """Run the real command to the end of its finite input; its final snapshot, checked."""
    from localcluster import jobrun

    started = time.monotonic()
    result = jobrun.run_job(settings(**fields), timeout=timeout_s)
    wall_s = time.monotonic() - started
    if result.returncode != 0 or not result.snapshot:
        tail = "\n".join(result.stderr.strip().splitlines()[-20:])
        raise RuntimeError(f"the job exited {result.returncode} with {fields}:\n{tail}")
    check_conserved(result.snapshot, f"job {fields}")
    return Run({**BASE_FIELDS, **fields}, result.snapshot, wall_s)


#: Quantiles `run_in_process` reads from the latency histogram.
QUANTILES = (0.5, 0.9, 0.99)


def run_in_process(**fields: Any) -> Run:
    """Run the job's dataflow in this process (one worker) with a fresh `Metrics`; its final
    snapshot, checked, and the detect-to-send latency quantiles from its histogram."""
    from bytewax.testing import run_main
    from prometheus_client import CollectorRegistry

    from domain.config import load_config
    from domain.metrics import Metrics
    from flows.pipeline import build_flow

    config = load_config(settings(**fields))
    metrics = Metrics(CollectorRegistry(), capacity=config.stream_buffer_capacity)
    flow = build_flow(config, metrics)
    started = time.monotonic()
    run_main(flow)
    wall_s = time.monotonic() - started
    snapshot = metrics.snapshot()
    check_conserved(snapshot, f"in-process run {fields}")
    buckets = histogram_buckets(metrics.registry, "sniffer_detect_to_send_seconds")
    latency = {q: histogram_quantile(buckets, q) for q in QUANTILES}
    return Run({**BASE_FIELDS, **fields}, snapshot, wall_s, latency)


def histogram_buckets(registry: Any, name: str) -> list[tuple[float, float]]:
    """A histogram's cumulative buckets, `(upper bound, count)` in order, +Inf last."""
    buckets = []
    for metric in registry.collect():
        for sample in metric.samples:
            if sample.name == name + "_bucket":
                buckets.append((float(sample.labels["le"]), sample.value))
    if not buckets:
        raise KeyError(f"no histogram named {name!r} in the registry")
    return sorted(buckets)


def histogram_quantile(buckets: Sequence[tuple[float, float]], q: float) -> float:
    """The q-quantile of a cumulative histogram, interpolated linearly within the bucket that
    holds it (Prometheus's `histogram_quantile`): an estimate no finer than the bucket bounds.
    NaN when the histogram is empty; the highest finite bound when the quantile lies above it."""
    total = buckets[-1][1]
    if total == 0:
        return math.nan
    rank = q * total
    lower, below = 0.0, 0.0
    for upper, count in buckets:
        if count >= rank:
            if math.isinf(upper):
                return lower
            if count == below:
                return upper
            return lower + (upper - lower) * (rank - below) / (count - below)
        lower, below = upper, count
    return lower


def table(runs: Iterable[Run], columns: Sequence[str]) -> str:
    """A plain-text table of `runs`, one row each; a column is a field or snapshot key, or one of
    `sent_per_s`, `seen_per_s`, `drop_share`, `p50_ms`, `p90_ms`, `p99_ms`."""
    rows = [list(columns)]
    for run in runs:
        rows.append([_cell(run, column) for column in columns])
    widths = [max(len(row[i]) for row in rows) for i in range(len(columns))]
    lines = ("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in rows)
    return "\n".join(lines)


def _cell(run: Run, column: str) -> str:
    if column in ("sent_per_s", "seen_per_s"):
        return f"{getattr(run, column):.0f}"
    if column == "drop_share":
        return f"{run.drop_share:.1%}"
    if column.startswith("p") and column.endswith("_ms"):
        return f"{run.latency_s[int(column[1:-3]) / 100] * 1e3:.2f}"
    value = run[column]
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def figure(ncols: int = 1, width: float = 6.0, height: float = 4.2) -> tuple[Figure, Any]:
    """A figure with `ncols` axes side by side, not tied to pyplot's global state."""
    fig = Figure(figsize=(width * ncols, height), layout="constrained")
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    return fig, list(axes) if ncols > 1 else axes[0]


def show(fig: Figure, save_as: str | Path | None = None) -> None:
    """Display `fig` in the notebook as a PNG (and write it to `save_as` when given)."""
    from IPython.display import Image, display

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    if save_as is not None:
        Path(save_as).write_bytes(buffer.getvalue())
    display(Image(data=buffer.getvalue(), format="png"))


# --- two sources racing (notebook 05) -------------------------------------------------------------


@dataclass
class Race:
    """One run of two sources delivering the same transactions: who was first, how late the
    other was (from the job's own ``sniffer_source_first_total`` / ``_lag_seconds`` series)."""

    delays_ms: dict[str, tuple[float, float]]
    snapshot: dict[str, Any]
    firsts: dict[str, float]
    #: Per source: the lag histogram's cumulative buckets (seconds), for quantiles.
    lag_buckets: dict[str, list[tuple[float, float]]]

    def first_share(self, source: str) -> float:
        total = sum(self.firsts.values())
        return self.firsts.get(source, 0.0) / total if total else math.nan

    def lag_ms(self, source: str, q: float) -> float:
        buckets = self.lag_buckets.get(source)
        return histogram_quantile(buckets, q) * 1e3 if buckets else math.nan


def race(
    delays_ms: dict[str, tuple[float, float]],
    *,
    total: int,
    rate: float,
    seed: int = 1,
    launch_ratio: float = 1.0,
) -> Race:
    """Run the dataflow in this process with the synthetic source and a replay of the very same
    frames side by side, each held back by its own provider delay: ``delays_ms[name] = (base,
    mean extra)``, the extra drawn from an exponential distribution per frame (a provider's
    jitter), order kept within a source. Transaction i happens at ``start + i / rate`` (one clock
    for both: the chain's), and each source delivers it at that time plus its delay, so the race
    is decided by the delays alone, not by how fast each source reads its input. The two sources
    are named ``synthetic`` and ``replay``."""
    import random
    import tempfile

    from bytewax.testing import run_main
    from prometheus_client import CollectorRegistry

    from connectors.merged import MergedSource
    from connectors.replay import ReplaySource
    from domain.config import load_config
    from domain.metrics import Metrics
    from fakechain import SyntheticSource, generate_range
    from flows.pipeline import build_flow

    with tempfile.TemporaryDirectory() as tmp:
        recording = Path(tmp) / "frames.jsonl"
        frames = generate_range(seed, total, launch_ratio, partitions=1)
        recording.write_bytes(b"".join(tx.payload + b"\n" for tx in frames))
        fields = {"synthetic_total": total, "synthetic_seed": seed, "replay_path": str(recording),
                  "source": "synthetic,replay"}  # fmt: skip
        config = load_config(settings(**fields))
        metrics = Metrics(CollectorRegistry(), capacity=config.stream_buffer_capacity)
        rng = random.Random(seed)
        sources = {
            "synthetic": SyntheticSource(
                rate=0, total=total, seed=seed, launch_ratio=launch_ratio, partitions=1
            ),
            "replay": ReplaySource(recording, 0),
        }
        start = time.time() + 0.5  # both sources are built and reading by then
        delayed = {
            name: _DelayedSource(source, start, rate, *delays_ms[name], random.Random(rng.random()))
            for name, source in sources.items()
        }
        run_main(build_flow(config, metrics, source=MergedSource(delayed)))
    snapshot = metrics.snapshot()
    check_conserved(snapshot, f"race {delays_ms}")
    firsts = {
        name: metrics.registry.get_sample_value("sniffer_source_first_total", {"source": name})
        or 0.0
        for name in sources
    }
    lags = {}
    for name in sources:
        buckets = [
            (float(sample.labels["le"]), sample.value)
            for metric in metrics.registry.collect()
            for sample in metric.samples
            if sample.name == "sniffer_source_lag_seconds_bucket"
            and sample.labels.get("source") == name
        ]
        if buckets:
            lags[name] = sorted(buckets)
    return Race(delays_ms, snapshot, firsts, lags)


class _DelayedSource:
    """A source whose i-th frame reaches the dataflow at ``start + i / rate`` plus `base_ms` plus
    an exponential extra of mean `jitter_ms`, in order, stamped when it is handed over."""

    def __init__(
        self, inner: Any, start: float, rate: float, base_ms: float, jitter_ms: float, rng: Any
    ) -> None:
        from connectors._support.wrapped_source import WrappedSource

        class Wrapped(WrappedSource):  # type: ignore[misc, type-arg]
            def wrap(self, part: Any) -> Any:
                return _DelayedPartition(part, start, rate, base_ms / 1e3, jitter_ms / 1e3, rng)

        self._source = Wrapped(inner)

    def list_parts(self) -> list[str]:
        return self._source.list_parts()

    def build_part(self, step_id: str, for_part: str, resume_state: Any) -> Any:
        return self._source.build_part(step_id, for_part, resume_state)


class _DelayedPartition:
    #: Frames read ahead of their release at most (the inner sources run flat out).
    AHEAD = 4096

    def __init__(
        self, inner: Any, start: float, rate: float, base_s: float, jitter_s: float, rng: Any
    ) -> None:
        from collections import deque

        self._inner = inner
        self._start, self._rate = start, rate
        self._base, self._jitter, self._rng = base_s, jitter_s, rng
        self._held: Any = deque()
        self._count = 0
        self._last_release = 0.0
        self._ended = False

    def next_batch(self) -> list[Any]:
        from dataclasses import replace

        now = time.time()
        if not self._ended and len(self._held) < self.AHEAD:
            try:
                for frame in self._inner.next_batch():
                    happened = self._start + self._count / self._rate
                    self._count += 1
                    extra = self._rng.expovariate(1 / self._jitter) if self._jitter else 0.0
                    release = max(self._last_release, happened + self._base + extra)
                    self._last_release = release
                    self._held.append((release, frame))
            except StopIteration:
                self._ended = True
        out = []
        while self._held and self._held[0][0] <= now:
            _, frame = self._held.popleft()
            # Stamped when it really reaches the dataflow (a poll may come a little after the
            # release time), as a source stamps a frame when it receives it.
            out.append(replace(frame, arrived_at=now))
        if self._ended and not self._held:
            raise StopIteration
        return out

    def next_awake(self) -> Any:
        from datetime import datetime, timedelta, timezone

        if self._held:
            return datetime.now(timezone.utc) + timedelta(milliseconds=1)
        return None if self._ended else self._inner.next_awake()

    def snapshot(self) -> Any:
        return self._inner.snapshot()

    def close(self) -> None:
        self._inner.close()
