"""The delivery benchmark: how fast the send path moves candidates, and how much memory it holds
when the consumer cannot keep up.

    .venv/bin/python -m benchmarks.delivery                 # the full run, the committed record
    .venv/bin/python -m benchmarks.delivery --quick         # short windows, for a look
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
   against the ideal batch_size / 20 ms; and the same for the whole job, detection at full speed.
3. Goodput under overload (`delivery_goodput`): the whole job offered 1x, 2x, 5x and 10x what a
   20 ms consumer takes, per drop policy and send mode: delivered/s and its share of capacity,
   beside the targets (>= 90 % async, >= 60 % sync at 10x; never falling as the input rises).
4. Memory: one subprocess per drop policy (and mode), the send step under 10x overload of a 20 ms
   consumer for `--overload-seconds` (60 by default), fed fresh candidates (new objects, as a real
   job makes them). Reported: RSS when the overload starts, peak RSS (VmHWM) and growth in MB.

The issue's targets are measured, never asserted: a zero-latency sink at >= 100,000 candidates/s;
a 20 ms consumer in async mode at >= 90 % of batch_size / 20 ms per priority; goodput as above;
memory growth under
64 MB under sustained overload with any policy but `block`.

At the end of each window the benchmark asks for a graceful shutdown with a 1 ms drain, so what is
still buffered is counted in `dropped_shutdown` instead of being drained at consumer speed (that
drain would only make the benchmark slower; it is not measured).

The pieces: `delivery_feed` (the candidates and the source), `delivery_runs` (one run of the send
step, the baseline, the whole job), `delivery_memory` (the subprocess runs), `delivery_report`
(the lines and tables) and `record` (the machine and the results file, shared with `throughput`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

from benchmarks.delivery_feed import CHUNK
from benchmarks.delivery_goodput import (
    TARGET_SHARE,
    goodput_report,
    goodput_runs,
    goodput_table,
)
from benchmarks.delivery_memory import memory_child, memory_run
from benchmarks.delivery_report import memory_line, render_table, throughput_line
from benchmarks.delivery_runs import (
    CONSUMER_DELAY_S,
    OVERLOAD,
    baseline,
    ideal_per_s,
    run_delivery,
    run_pipeline,
)
from benchmarks.record import machine, results_file, write_results
from domain.config import load_config
from domain.models import PRIORITIES

TARGET_ZERO_LATENCY = 100_000
TARGET_ASYNC_SHARE = 0.90
TARGET_GROWTH_MB = 64


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.delivery", description=__doc__)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="short windows: 1.5 s, 3 s async at 20 ms, 5 s memory runs",
    )
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
    out = args.out or results_file("delivery", args.quick)
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
            print(throughput_line(row), flush=True)

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

    goodput = goodput_report(
        goodput_runs(warmup_s=1.0 if args.quick else 2.0, window_s=2.0 if args.quick else 5.0)
    )

    memory = []
    for mode in ("sync", "async"):
        for policy in ("drop_newest", "drop_oldest", "block"):
            result = memory_run(mode, policy, overload_s)
            memory.append(result)
            print(memory_line(result), flush=True)

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
        "goodput_share_of_capacity_at_10x": {
            "target": TARGET_SHARE,
            "measured": {k: v["share_at_10x"] for k, v in goodput["verdicts"].items()},
            "never_falls": {k: v["never_falls"] for k, v in goodput["verdicts"].items()},
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
        "goodput": goodput,
        "memory": memory,
        "targets": targets,
    }
    write_results(out, report)
    print()
    print(render_table(report))
    print()
    print(goodput_table(goodput))
    print(f"\nwritten to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
