"""The delivery benchmark: how fast the send path moves candidates, and how much memory it holds
when the consumer cannot keep up.

    .venv/bin/python -m benchmarks.delivery                 # full run, about 9 minutes
    .venv/bin/python -m benchmarks.delivery --quick         # about 40 s
    .venv/bin/python -m benchmarks.delivery --overload-seconds 20

Prints a table and writes JSON (benchmarks/results/delivery.json; delivery-quick.json with
--quick). Three measurements:

1. Throughput: the real `deliver` step (operators/delivery.py) run by Bytewax, fed by a source of
   ready-made batches (64 batches of 16 a call, as fast as it can) for a fixed window, into the
   null transport behind a consumer delay of 0, 1 or 20 ms per batch (`DelayedTransport`), sync
   and async. Reported: candidates delivered per second during the window, against a baseline
   measured in the same run (a plain Python loop pushing the same candidates through
   `StreamBuffers` and `BatchSender` into the null transport, no Bytewax), and against the ideal
   of the consumer (batch_size / delay; async sends both priorities side by side, so twice that).
2. A 20 ms consumer in async mode under 10x overload: candidates delivered per second per priority
   against the ideal batch_size / 20 ms.
3. Memory: one subprocess per drop policy (and mode), the send step under 10x overload of a 20 ms
   consumer for `--overload-seconds` (60 by default), fed fresh candidates (new objects, as a real
   job makes them). Reported: RSS when the overload starts, peak RSS (VmHWM) and growth in MB.

The issue's targets are measured, never asserted: a zero-latency sink at >= 100,000 candidates/s;
a 20 ms consumer in async mode at >= 90 % of batch_size / 20 ms per priority; memory growth under
64 MB under sustained overload with any policy but `block`.

At the end of each window the benchmark asks for a graceful shutdown with a 1 ms drain, so what is
still buffered is counted in `dropped_shutdown` instead of being drained at consumer speed (that
drain would only make the benchmark slower; it is not measured).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import bytewax
import bytewax.operators as op
from bytewax.dataflow import Dataflow
from bytewax.inputs import FixedPartitionedSource, StatefulSourcePartition
from bytewax.testing import run_main
from prometheus_client import CollectorRegistry

from connectors.line_sinks import NullTransport
from connectors.simulated_delay import DelayedTransport
from domain.config import SnifferConfig, load_config
from domain.metrics import Metrics, conservation_problems
from domain.models import HIGH, LOW, PRIORITIES, PUMP_FUN, Batch, Candidate, Launch
from domain.shutdown import Shutdown
from domain.transport import Transport
from flows.endpoints import make_transport
from flows.pipeline import build_flow
from flows.settings import delivery_settings
from operators.batch_sender import BatchSender
from operators.delivery import deliver
from operators.stream_buffer import StreamBuffers

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"

KEY = "launches"
#: Batches handed to the send step per `next_batch` ("big chunks": 1,024 candidates).
CHUNK = 64
#: Distinct ready-made batches the throughput runs cycle through (16,384 candidates).
POOL_BATCHES = 1024
OVERLOAD = 10
CONSUMER_DELAY_S = 0.020

TARGET_ZERO_LATENCY = 100_000
TARGET_ASYNC_SHARE = 0.90
TARGET_GROWTH_MB = 64


# --- candidates ------------------------------------------------------------------------------


def make_candidate(n: int, priority: str, now: float) -> Candidate:
    """A candidate shaped like a real one (field sizes of a pump.fun launch)."""
    launch = Launch(
        signature=f"{n:0>88}",
        slot=400_000_000 + n // 8,
        launchpad=PUMP_FUN,
        mint=f"{n:0>40}pump",
        creator=f"{n:0>44}",
        name=f"Token number {n}",
        symbol=f"T{n % 100000}",
        uri=f"https://ipfs.io/ipfs/bafkrei{n:0>52}",
        initial_buy_sol=1.5,
        arrived_at=now,
        detected_at=now,
    )
    return Candidate(launch, 0.7 if priority == HIGH else 0.5, priority)


def make_batch(number: int, batch_size: int) -> Batch:
    """Batch `number`: HIGH and LOW alternate, so both priorities get half the load."""
    priority = HIGH if number % 2 == 0 else LOW
    now = time.time()
    first = number * batch_size
    candidates = tuple(make_candidate(first + i, priority, now) for i in range(batch_size))
    return Batch(priority, candidates, opened_at=now)


def batch_pool(batch_size: int) -> list[Batch]:
    return [make_batch(n, batch_size) for n in range(POOL_BATCHES)]


# --- the feed: ready-made batches for the send step ------------------------------------------


@dataclass
class Window:
    """What the feed saw between its first batch and the end of its stream."""

    started: float = 0.0
    ended: float = 0.0
    offered: int = 0
    sent_at_start: dict[str, float] = field(default_factory=dict)
    sent_at_end: dict[str, float] = field(default_factory=dict)
    rss_at_start_kb: int = 0

    @property
    def seconds(self) -> float:
        return self.ended - self.started

    def delivered_per_s(self, priority: str | None = None) -> float:
        priorities = PRIORITIES if priority is None else (priority,)
        sent = sum(self.sent_at_end[p] - self.sent_at_start[p] for p in priorities)
        return sent / self.seconds


def sent_by_priority(metrics: Metrics) -> dict[str, float]:
    get = metrics.registry.get_sample_value
    return {p: get("sniffer_candidates_sent_total", {"priority": p}) or 0.0 for p in PRIORITIES}


class FeedPartition(StatefulSourcePartition[tuple[str, Batch], None]):
    def __init__(self, feed: BatchFeed) -> None:
        self._feed = feed
        self._emitted = 0
        self._start = 0.0

    def next_batch(self) -> list[tuple[str, Batch]]:
        feed, window = self._feed, self._feed.window
        now = time.perf_counter()
        if self._emitted == 0 and not window.started:
            window.rss_at_start_kb = rss_kb()["VmRSS"]
            window.sent_at_start = sent_by_priority(feed.metrics)
            window.started = self._start = now
        if now - self._start >= feed.seconds:
            window.sent_at_end = sent_by_priority(feed.metrics)
            window.ended = now
            feed.shutdown.request()  # cut the drain at the end (see the module docstring)
            raise StopIteration
        count = CHUNK
        if feed.rate > 0:
            due = int((now - self._start) * feed.rate / feed.batch_size) + 1 - self._emitted
            count = max(0, min(CHUNK, due))
        batches = [(KEY, feed.batch(self._emitted + i)) for i in range(count)]
        self._emitted += count
        window.offered += count * feed.batch_size
        return batches

    def next_awake(self) -> datetime | None:
        feed = self._feed
        if feed.rate <= 0 or not self._start:
            return None
        due = self._start + self._emitted * feed.batch_size / feed.rate
        # perf_counter and the wall clock differ by a constant: convert through "now".
        return datetime.fromtimestamp(time.time() + (due - time.perf_counter()), tz=timezone.utc)

    def snapshot(self) -> None:
        return None


class BatchFeed(FixedPartitionedSource[tuple[str, Batch], None]):
    """One partition handing `(key, Batch)` tuples to the send step, CHUNK batches a call, for
    `seconds`; at `rate` candidates/s, or as fast as it can with rate 0."""

    def __init__(
        self,
        batch: Callable[[int], Batch],
        batch_size: int,
        seconds: float,
        rate: float,
        metrics: Metrics,
        shutdown: Shutdown,
    ) -> None:
        self.batch = batch
        self.batch_size = batch_size
        self.seconds = seconds
        self.rate = rate
        self.metrics = metrics
        self.shutdown = shutdown
        self.window = Window()

    def list_parts(self) -> list[str]:
        return ["feed"]

    def build_part(self, step_id: str, for_part: str, resume_state: None) -> FeedPartition:
        return FeedPartition(self)


# --- one run of the send step ----------------------------------------------------------------


def delivery_config(mode: str, policy: str = "drop_newest") -> SnifferConfig:
    """The defaults, but `mode` and `policy`, and a 1 ms drain once the window is over."""
    return load_config(
        {
            "SNIFFER_BATCH_SEND_MODE": mode,
            "SNIFFER_DROP_POLICY": policy,
            "SNIFFER_GRACEFUL_SHUTDOWN_TIMEOUT_MS": "1",
        }
    )


def consumer(delay_s: float) -> Transport:
    return DelayedTransport(NullTransport(), delay_s) if delay_s > 0 else NullTransport()


@dataclass
class Run:
    mode: str
    policy: str
    delay_ms: float
    seconds: float
    offered_per_s: float
    delivered_per_s: float
    delivered_per_s_by_priority: dict[str, float]
    dropped_full_buffer: int
    backpressure_events: int
    dropped_shutdown: int
    conservation_problems: list[str]
    rss_at_start_kb: int = 0


def run_delivery(
    mode: str,
    delay_s: float,
    seconds: float,
    *,
    policy: str = "drop_newest",
    rate: float = 0.0,
    batch: Callable[[int], Batch] | None = None,
) -> Run:
    """The send step alone, fed for `seconds`, into a consumer of `delay_s` per batch."""
    config = delivery_config(mode, policy)
    metrics = Metrics(CollectorRegistry(), capacity=config.stream_buffer_capacity)
    shutdown = Shutdown()
    if batch is None:
        pool = batch_pool(config.batch_size)
        batch = lambda n: pool[n % len(pool)]  # noqa: E731
    feed = BatchFeed(batch, config.batch_size, seconds, rate, metrics, shutdown)
    flow = Dataflow("delivery_benchmark")
    batches = op.input("batches", flow, feed)
    deliver("deliver", batches, delivery_settings(config), metrics, consumer(delay_s), shutdown)
    run_main(flow)
    window, snap = feed.window, metrics.snapshot()
    return Run(
        mode=mode,
        policy=policy,
        delay_ms=delay_s * 1e3,
        seconds=round(window.seconds, 3),
        offered_per_s=window.offered / window.seconds,
        delivered_per_s=window.delivered_per_s(),
        delivered_per_s_by_priority={p: window.delivered_per_s(p) for p in PRIORITIES},
        dropped_full_buffer=int(snap["dropped_full_buffer"]),
        backpressure_events=int(snap["backpressure_events"]),
        dropped_shutdown=int(snap["dropped_shutdown"]),
        conservation_problems=conservation_problems(snap),
        rss_at_start_kb=window.rss_at_start_kb,
    )


def baseline(seconds: float) -> float:
    """Candidates/s of a plain loop doing the send path's work without Bytewax: the same ready-
    made batches, CHUNK at a time, into `StreamBuffers`, then every batch out through
    `BatchSender` (staleness, retries, counting) into the null transport."""
    config = load_config({})
    metrics = Metrics(CollectorRegistry(), capacity=config.stream_buffer_capacity)
    buffers = StreamBuffers(config.stream_buffer_capacity, config.drop_policy, metrics)
    sender = BatchSender(
        NullTransport(),
        metrics,
        max_retries=config.send_max_retries,
        retry_delay_s=config.send_retry_delay_us / 1e6,
    )
    settle = {p: (lambda cs, p=p: buffers.settle(p, cs)) for p in PRIORITIES}
    pool = batch_pool(config.batch_size)
    moved, n = 0, 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        for _ in range(CHUNK):
            for candidate in pool[n % len(pool)].candidates:
                buffers.put(candidate)
            n += 1
        while (priority := buffers.next_priority()) is not None:
            taken = buffers.take(priority, config.batch_size)
            sender.send(priority, taken, settle[priority])
            moved += len(taken)
    return moved / (time.perf_counter() - started)


def run_pipeline(total: int) -> dict[str, Any]:
    """The whole job in async mode, every frame a launch, detection as fast as it can go (the
    worker saturates a core), into a 20 ms consumer: candidates delivered per second per priority
    while the input lasts."""
    config = load_config(
        {
            "SNIFFER_SYNTHETIC_RATE": "0",
            "SNIFFER_SYNTHETIC_LAUNCH_RATIO": "1.0",
            "SNIFFER_SYNTHETIC_TOTAL": str(total),
            "SNIFFER_SINK": "null",
            "SNIFFER_SINK_DELAY_MS": str(CONSUMER_DELAY_S * 1e3),
            "SNIFFER_BATCH_SEND_MODE": "async",
            "SNIFFER_GRACEFUL_SHUTDOWN_TIMEOUT_MS": "1",
        }
    )
    metrics = Metrics(CollectorRegistry(), capacity=config.stream_buffer_capacity)
    shutdown = Shutdown()
    marks: list[tuple[float, float, dict[str, float]]] = []

    def watch() -> None:
        while True:
            seen = metrics.snapshot()["tx_seen"]
            if seen:
                marks.append((time.perf_counter(), seen, sent_by_priority(metrics)))
            if seen >= total:
                shutdown.request()  # the input is over: cut the drain (not measured)
                return
            time.sleep(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    run_main(build_flow(config, metrics, transport=make_transport(config), shutdown=shutdown))
    watcher.join()
    (t0, _, sent0), (t1, _, sent1) = marks[0], marks[-1]
    per_priority = {p: (sent1[p] - sent0[p]) / (t1 - t0) for p in PRIORITIES}
    ideal = config.batch_size / CONSUMER_DELAY_S
    return {
        "frames": total,
        "seconds": round(t1 - t0, 3),
        "frames_per_s": total / (t1 - t0),
        "delivered_per_s_by_priority": per_priority,
        "ideal_per_s_per_priority": ideal,
        "share_of_ideal": {p: per_priority[p] / ideal for p in PRIORITIES},
        "conservation_problems": conservation_problems(metrics.snapshot()),
    }


def ideal_per_s(mode: str, delay_s: float, batch_size: int) -> float | None:
    """What the consumer can take: one batch per delay per sender (sync: one, async: two)."""
    if delay_s <= 0:
        return None
    return batch_size / delay_s * (2 if mode == "async" else 1)


# --- memory under overload, one subprocess per run -------------------------------------------


def rss_kb() -> dict[str, int]:
    """VmRSS and VmHWM (peak) of this process, in kB."""
    values = {"VmRSS": 0, "VmHWM": 0}
    try:
        with open("/proc/self/status") as status:
            for line in status:
                name, _, rest = line.partition(":")
                if name in values:
                    values[name] = int(rest.split()[0])
    except OSError:  # not Linux: the peak from getrusage (kB on Linux, bytes on macOS)
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        values = {"VmRSS": peak, "VmHWM": peak}
    return values


def memory_child(mode: str, policy: str, seconds: float) -> dict[str, Any]:
    """In the child: the send step under 10x overload of a 20 ms consumer, fresh candidates."""
    batch_size = delivery_config(mode, policy).batch_size
    capacity = ideal_per_s(mode, CONSUMER_DELAY_S, batch_size)
    assert capacity is not None
    samples: list[int] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.25):
            samples.append(rss_kb()["VmRSS"])

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    run = run_delivery(
        mode,
        CONSUMER_DELAY_S,
        seconds,
        policy=policy,
        rate=OVERLOAD * capacity,
        batch=lambda n: make_batch(n, batch_size),
    )
    stop.set()
    sampler.join()
    end = rss_kb()
    start_kb = run.rss_at_start_kb
    peak_kb = max([end["VmHWM"], *samples])
    return {
        **asdict(run),
        "consumer_capacity_per_s": capacity,
        "rss_at_start_mb": start_kb / 1024,
        "peak_rss_mb": peak_kb / 1024,
        "growth_mb": (peak_kb - start_kb) / 1024,
        "rss_at_end_mb": end["VmRSS"] / 1024,
    }


def memory_run(mode: str, policy: str, seconds: float) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.delivery", "--child-memory", mode, policy],
        cwd=ROOT,
        env={**os.environ, "BENCH_OVERLOAD_SECONDS": str(seconds)},
        capture_output=True,
        text=True,
        timeout=seconds + 120,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"memory run {mode}/{policy} failed:\n{proc.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


# --- the whole benchmark ---------------------------------------------------------------------


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "bytewax": getattr(bytewax, "__version__", "0.21.1"),
        "platform": platform.platform(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.delivery", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short windows (about 40 s)")
    parser.add_argument(
        "--overload-seconds",
        type=float,
        default=None,
        help="length of each memory run under overload (default 60, 5 with --quick)",
    )
    parser.add_argument("--out", type=Path, default=None, help="where to write the JSON")
    parser.add_argument(
        "--child-memory", nargs=2, metavar=("MODE", "POLICY"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)

    if args.child_memory:
        mode, policy = args.child_memory
        seconds = float(os.environ["BENCH_OVERLOAD_SECONDS"])
        print(json.dumps(memory_child(mode, policy, seconds)))
        return 0

    window = 1.5 if args.quick else 5.0
    async_window = 3.0 if args.quick else 15.0
    overload_s = args.overload_seconds or (5.0 if args.quick else 60.0)
    out = args.out or RESULTS / ("delivery-quick.json" if args.quick else "delivery.json")
    batch_size = load_config({}).batch_size
    command = " ".join(["python -m benchmarks.delivery", *(sys.argv[1:] if argv is None else argv)])

    print(f"delivery benchmark: {machine()}", flush=True)
    base = baseline(window)
    print(f"baseline (plain loop, StreamBuffers + BatchSender + null, no Bytewax): {base:,.0f}/s")

    throughput = []
    for delay_ms in (0, 1, 20):
        for mode in ("sync", "async"):
            run = run_delivery(mode, delay_ms / 1e3, window)
            ideal = ideal_per_s(mode, delay_ms / 1e3, batch_size)
            row = {
                **asdict(run),
                "ratio_to_baseline": run.delivered_per_s / base,
                "ideal_per_s": ideal,
                "share_of_ideal": None if ideal is None else run.delivered_per_s / ideal,
            }
            throughput.append(row)
            print(_throughput_line(row), flush=True)

    per_priority_ideal = batch_size / CONSUMER_DELAY_S
    async_run = run_delivery(
        "async", CONSUMER_DELAY_S, async_window, rate=OVERLOAD * 2 * per_priority_ideal
    )
    consumer_20ms = {
        **asdict(async_run),
        "ideal_per_s_per_priority": per_priority_ideal,
        "share_of_ideal": {
            p: async_run.delivered_per_s_by_priority[p] / per_priority_ideal for p in PRIORITIES
        },
    }
    print(
        "async, 20 ms consumer, 10x overload: "
        + ", ".join(
            f"{p} {async_run.delivered_per_s_by_priority[p]:,.0f}/s "
            f"({consumer_20ms['share_of_ideal'][p]:.1%} of {per_priority_ideal:,.0f})"
            for p in PRIORITIES
        ),
        flush=True,
    )

    pipeline = run_pipeline(15_000 if args.quick else 60_000)
    print(
        f"whole job, async, detection at full speed ({pipeline['frames_per_s']:,.0f} frames/s, "
        "all launches), 20 ms consumer: "
        + ", ".join(
            f"{p} {pipeline['delivered_per_s_by_priority'][p]:,.0f}/s "
            f"({pipeline['share_of_ideal'][p]:.1%})"
            for p in PRIORITIES
        ),
        flush=True,
    )

    memory = []
    for mode in ("sync", "async"):
        for policy in ("drop_newest", "drop_oldest", "block"):
            result = memory_run(mode, policy, overload_s)
            memory.append(result)
            print(_memory_line(result), flush=True)

    targets = {
        "zero_latency_candidates_per_s": {
            "target": TARGET_ZERO_LATENCY,
            "measured": {r["mode"]: r["delivered_per_s"] for r in throughput if not r["delay_ms"]},
        },
        "async_20ms_share_of_ideal_per_priority": {
            "target": TARGET_ASYNC_SHARE,
            "measured": consumer_20ms["share_of_ideal"],
            "measured_whole_job_detection_at_full_speed": pipeline["share_of_ideal"],
        },
        "memory_growth_mb_under_overload": {
            "target": TARGET_GROWTH_MB,
            "measured": {f"{m['mode']}/{m['policy']}": m["growth_mb"] for m in memory},
        },
    }
    report = {
        "command": command,
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": {
            "window_s": window,
            "async_20ms_window_s": async_window,
            "overload_seconds": overload_s,
            "overload_factor": OVERLOAD,
            "chunk_batches": CHUNK,
            "batch_size": batch_size,
            "stream_buffer_capacity": load_config({}).stream_buffer_capacity,
        },
        "baseline_candidates_per_s": base,
        "throughput": throughput,
        "consumer_20ms_async": consumer_20ms,
        "consumer_20ms_async_whole_job": pipeline,
        "memory": memory,
        "targets": targets,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print()
    print(render_table(report))
    print(f"\nwritten to {out}")
    return 0


def _throughput_line(row: dict[str, Any]) -> str:
    ideal = f", {row['share_of_ideal']:.0%} of ideal" if row["ideal_per_s"] else ""
    return (
        f"{row['mode']:5} {row['delay_ms']:>4.0f} ms: delivered {row['delivered_per_s']:>9,.0f}/s"
        f" ({row['ratio_to_baseline']:.2f} x baseline{ideal}), offered "
        f"{row['offered_per_s']:,.0f}/s, dropped {row['dropped_full_buffer']:,}"
    )


def _memory_line(m: dict[str, Any]) -> str:
    return (
        f"memory {m['mode']:5} {m['policy']:11}: start {m['rss_at_start_mb']:.1f} MB, peak "
        f"{m['peak_rss_mb']:.1f} MB, growth {m['growth_mb']:.1f} MB over {m['seconds']:.0f} s "
        f"(offered {m['offered_per_s']:,.0f}/s, delivered {m['delivered_per_s']:,.0f}/s)"
    )


def render_table(report: dict[str, Any]) -> str:
    """The results as Markdown tables (also pasted into README.md)."""
    lines = [
        f"Baseline (plain loop, no Bytewax): {report['baseline_candidates_per_s']:,.0f} "
        "candidates/s",
        "",
        "| mode | consumer delay | delivered/s | x baseline | ideal/s | share of ideal |"
        " offered/s | dropped (full buffer) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in report["throughput"]:
        ideal = "-" if r["ideal_per_s"] is None else f"{r['ideal_per_s']:,.0f}"
        share = "-" if r["share_of_ideal"] is None else f"{r['share_of_ideal']:.0%}"
        lines.append(
            f"| {r['mode']} | {r['delay_ms']:.0f} ms | {r['delivered_per_s']:,.0f} |"
            f" {r['ratio_to_baseline']:.2f} | {ideal} | {share} | {r['offered_per_s']:,.0f} |"
            f" {r['dropped_full_buffer']:,} |"
        )
    c = report["consumer_20ms_async"]
    lines += [
        "",
        "| async, 20 ms consumer, 10x overload | delivered/s | ideal/s | share |",
        "|---|---|---|---|",
    ]
    for p in PRIORITIES:
        lines.append(
            f"| {p} | {c['delivered_per_s_by_priority'][p]:,.0f} |"
            f" {c['ideal_per_s_per_priority']:,.0f} | {c['share_of_ideal'][p]:.1%} |"
        )
    j = report["consumer_20ms_async_whole_job"]
    for p in PRIORITIES:
        lines.append(
            f"| {p}, whole job, detection at full speed ({j['frames_per_s']:,.0f} frames/s) |"
            f" {j['delivered_per_s_by_priority'][p]:,.0f} | {j['ideal_per_s_per_priority']:,.0f} |"
            f" {j['share_of_ideal'][p]:.1%} |"
        )
    lines += [
        "",
        "| memory: mode | policy | overload | offered/s | delivered/s | RSS at start |"
        " peak RSS | growth |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for m in report["memory"]:
        lines.append(
            f"| {m['mode']} | {m['policy']} | {m['seconds']:.0f} s | {m['offered_per_s']:,.0f} |"
            f" {m['delivered_per_s']:,.0f} | {m['rss_at_start_mb']:.1f} MB |"
            f" {m['peak_rss_mb']:.1f} MB | {m['growth_mb']:.1f} MB |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
