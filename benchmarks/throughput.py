"""The whole job's speed: throughput against a plain-Python loop, the synthetic source's own cost,
latency from frame arrival to sink acknowledgement, and scaling from one to two processes.

    .venv/bin/python -m benchmarks.throughput            # 200,000 frames
    .venv/bin/python -m benchmarks.throughput --quick    # 50,000 frames

Prints a table and writes benchmarks/results/throughput.json (throughput-quick.json with
--quick). Everything is measured in the same run, and the targets are ratios, because these
machines are noisy:

1. Throughput: a file of real-format frames (benchmarks/frames.py: the real mainnet samples with
   fresh signatures and mints, about 3 KB each, about 1 % launches) replayed as fast as possible
   through the real command, `python -m bytewax.run flows.sniffer`, into the null sink; frames/s
   in steady state, from the job's own snapshot file (between 10 % and 90 % of the frames).
   Against `plain_loop` below, which does the same job in one loop: parse, gate on err, detect
   (exact instruction names inside the launchpad's own invoke frame, as the contract says) with
   mint decoding, dedup, batch. Target: >= 1.0x. Also against the same loop given the decoder's
   own trick (look for the launch markers in the joined log text before walking the lines): what
   the framework, the validation and the accounting cost over the leanest hand-written loop.
2. The synthetic source alone (frames generated into a sink that drops them), frames/s.
3. Latency at 10,000 tx/s: the same frames replayed at that rate in-process, a transport that
   records each candidate's acknowledgement time minus its frame's arrival; p50 and p99 against
   batch_timeout_ms + 5 ms.
4. Scaling: two processes (`-i 0/1`, the file split in two replay partitions) against one, in
   steady state (the processes' snapshot files summed). Target: >= 1.7x. The JSON also keeps the
   rates over the whole uptime, start-up included.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import subprocess
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import base58
import bytewax.operators as op
import orjson
from bytewax.dataflow import Dataflow
from bytewax.outputs import DynamicSink, StatelessSinkPartition
from bytewax.testing import run_main
from prometheus_client import CollectorRegistry

from benchmarks.frames import write_frames
from benchmarks.record import machine, results_file, write_results
from connectors.replay import ReplaySource
from domain.config import load_config
from domain.metrics import Metrics, conservation_problems
from domain.models import Batch, RawFrame
from fakechain import SyntheticSource
from flows.pipeline import build_flow
from localcluster.jobrun import ROOT, start_job
from localcluster.options import free_port
from solwire.programs import PUMP_FUN_PROGRAM as PUMP_FUN
from solwire.programs import RAYDIUM_AMM_V4_PROGRAM as RAYDIUM

CREATE_EVENT_PREFIX = "Program data: G3KpTd7rY3"  # base64 of the CreateEvent discriminator


def plain_loop(path: Path, prefilter: bool = False) -> tuple[int, int, float]:
    """The same job without the framework: (frames, candidates, seconds).

    With `prefilter`, the loop first looks for the launch markers in the joined log text and
    walks the lines only when one is there: the trick the job's own decoder uses.
    """
    started = time.perf_counter()
    signatures: set[str] = set()
    mints: set[str] = set()
    batch: list[tuple[str, str | None]] = []
    frames = candidates = 0
    with path.open("rb") as f:
        for line in f:
            if not line.strip():
                continue
            frames += 1
            value = orjson.loads(line)["params"]["result"]["value"]
            if value["err"] is not None:
                continue
            if prefilter:
                text = "\n".join(value["logs"])
                if "Instruction: Create" not in text and "initialize2: Initialize" not in text:
                    continue
            stack: list[str] = []
            launch = mint = None
            for log in value["logs"]:
                if log.startswith("Program ") and log.endswith("]") and " invoke [" in log:
                    stack.append(log.split(" ", 2)[1])
                elif log.endswith(" success") or " failed: " in log:
                    if stack:
                        stack.pop()
                elif not stack:
                    continue
                elif (
                    launch is None
                    and stack[-1] == PUMP_FUN
                    and log
                    in (
                        "Program log: Instruction: Create",
                        "Program log: Instruction: CreateV2",
                    )
                ):
                    launch = "pump_fun"
                elif (
                    launch is None
                    and stack[-1] == RAYDIUM
                    and log.startswith("Program log: initialize2: InitializeInstruction2")
                ):
                    launch = "raydium_amm_v4"
                elif launch == "pump_fun" and mint is None and log.startswith(CREATE_EVENT_PREFIX):
                    raw = base64.b64decode(log[len("Program data: ") :])
                    at = 8
                    for _ in range(3):  # name, symbol, uri
                        at += 4 + int.from_bytes(raw[at : at + 4], "little")
                    mint = base58.b58encode(raw[at : at + 32]).decode()
            if launch is None:
                continue
            signature = value["signature"]
            if signature in signatures or (mint is not None and mint in mints):
                continue
            signatures.add(signature)
            if mint is not None:
                mints.add(mint)
            candidates += 1
            batch.append((signature, mint))
            if len(batch) == 16:
                batch = []
    return frames, candidates, time.perf_counter() - started


#: What every benchmark run of the job sets unless it says otherwise: candidates thrown away
#: after the sink step, and only warnings logged.
JOB_DEFAULTS = {"SNIFFER_SINK": "null", "SNIFFER_LOG_LEVEL": "WARNING"}


def run_job(path: Path, processes: int, workdir: Path) -> dict[str, Any]:
    """Replay `path` through `processes` processes of the real job; frames/s in steady state.

    Each process writes its snapshot file every 50 ms; the rate is taken between the moments
    10 % and 90 % of the frames were seen, so start-up (a cluster's processes connecting to each
    other) and the final drain do not count.
    """
    addresses = ";".join(f"127.0.0.1:{free_port()}" for _ in range(processes))
    snapshots = [workdir / f"snapshot-{i}.json" for i in range(processes)]
    for snap in snapshots:
        snap.unlink(missing_ok=True)
    procs = []
    for i in range(processes):
        settings = {
            **JOB_DEFAULTS,
            "SNIFFER_SOURCE": "replay",
            "SNIFFER_REPLAY_PATH": str(path),
            "SNIFFER_REPLAY_PARTITIONS": str(processes),
            "SNIFFER_SNAPSHOT_PATH": str(snapshots[i]),
            "SNIFFER_SNAPSHOT_INTERVAL_S": "0.05",
        }
        cluster = ["-i", str(i), "-a", addresses] if processes > 1 else []
        procs.append(start_job(settings, *cluster, stdout=subprocess.DEVNULL))
    samples: list[tuple[float, int]] = []
    while any(p.poll() is None for p in procs):
        seen = 0
        for snap in snapshots:
            with contextlib.suppress(OSError, ValueError):  # not written yet
                seen += json.loads(snap.read_text())["tx_seen"]
        samples.append((time.monotonic(), seen))
        time.sleep(0.02)
    finals = []
    for proc in procs:
        _, stderr = proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"a process failed: {stderr[-2000:]}")
        finals.append(json.loads(stderr.strip().splitlines()[-1]))
    totals = {k: sum(s[k] for s in finals) for k in finals[0] if k != "uptime_s"}
    problems = conservation_problems(totals)
    if problems:
        raise RuntimeError(f"conservation broken: {problems}")
    frames = totals["tx_seen"]
    low = next(s for s in samples if s[1] >= 0.1 * frames)
    high = next(s for s in samples if s[1] >= 0.9 * frames)
    return {
        "frames": frames,
        "steady_frames_per_s": (high[1] - low[1]) / (high[0] - low[0]),
        "uptime_frames_per_s": frames / max(s["uptime_s"] for s in finals),
        "per_process_frames": [s["tx_seen"] for s in finals],
        "candidates_sent": totals["candidates_sent"],
    }


class _Drop(DynamicSink[Any]):
    def build(
        self, step_id: str, worker_index: int, worker_count: int
    ) -> StatelessSinkPartition[Any]:
        class _Part(StatelessSinkPartition[Any]):
            def write_batch(self, items: list[Any]) -> None:
                return None

        return _Part()


def synthetic_source_alone(frames: int) -> dict[str, Any]:
    count = [0]

    def tally(batch: list[RawFrame]) -> list[RawFrame]:
        count[0] += len(batch)
        return []

    flow = Dataflow("synthetic_cost")
    generated = op.input("in", flow, SyntheticSource(total=frames, seed=1))
    op.output("out", op.flat_map_batch("tally", generated, tally), _Drop())
    started = time.perf_counter()
    run_main(flow)
    return {"frames": count[0], "seconds": time.perf_counter() - started}


class _Recording:
    """A transport that records, for each candidate, acknowledgement minus frame arrival."""

    def __init__(self) -> None:
        self.latencies: list[float] = []

    def send(self, batch: Batch) -> None:
        now = time.time()
        self.latencies.extend(now - c.launch.arrived_at for c in batch.candidates)

    def close(self) -> None:
        return None


def latency_at(path: Path, rate: float) -> dict[str, Any]:
    config = load_config({})
    metrics = Metrics(CollectorRegistry())
    transport = _Recording()
    source = ReplaySource(path, rate=rate)
    run_main(build_flow(config, metrics, source=source, transport=transport))
    got = sorted(transport.latencies)

    def quantile(q: float) -> float:
        return got[min(len(got) - 1, int(q * len(got)))] * 1e3

    return {
        "rate": rate,
        "candidates": len(got),
        "p50_ms": round(quantile(0.50), 2),
        "p99_ms": round(quantile(0.99), 2),
        "max_ms": round(got[-1] * 1e3, 2),
        "batch_timeout_ms": config.batch_timeout_ms,
        "target_p99_ms": config.batch_timeout_ms + 5,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="50,000 frames instead of 200,000")
    parser.add_argument("--frames", type=int, default=None)
    parser.add_argument("--latency-seconds", type=float, default=None)
    args = parser.parse_args()
    count = args.frames or (50_000 if args.quick else 200_000)
    latency_seconds = args.latency_seconds or (3.0 if args.quick else 10.0)

    with tempfile.TemporaryDirectory() as tmp:
        path = write_frames(Path(tmp) / "frames.jsonl", count)
        size_mb = path.stat().st_size / 1e6
        latency_path = write_frames(Path(tmp) / "latency.jsonl", int(10_000 * latency_seconds))
        plain_loop(path)  # warm the page cache and the imports
        plain = [plain_loop(path) for _ in range(3)]
        lean = [plain_loop(path, prefilter=True) for _ in range(3)]
        one = [run_job(path, 1, Path(tmp)) for _ in range(3)]
        two = [run_job(path, 2, Path(tmp)) for _ in range(3)]
        synthetic = synthetic_source_alone(count)
        latency = latency_at(latency_path, 10_000)

    plain_rate = max(f / s for f, _, s in plain)
    lean_rate = max(f / s for f, _, s in lean)
    one_rate = max(r["steady_frames_per_s"] for r in one)
    two_rate = max(r["steady_frames_per_s"] for r in two)
    results = {
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "frames": count,
        "file_mb": round(size_mb, 1),
        "plain_loop_frames_per_s": round(plain_rate),
        "job_one_process_frames_per_s": round(one_rate),
        "job_vs_plain": round(one_rate / plain_rate, 2),
        "prefiltered_plain_loop_frames_per_s": round(lean_rate),
        "job_vs_prefiltered_plain": round(one_rate / lean_rate, 2),
        "job_two_processes_frames_per_s": round(two_rate),
        "two_vs_one": round(two_rate / one_rate, 2),
        "two_processes_share": two[0]["per_process_frames"],
        "uptime_based": {
            "one_process_frames_per_s": round(max(r["uptime_frames_per_s"] for r in one)),
            "two_processes_frames_per_s": round(max(r["uptime_frames_per_s"] for r in two)),
        },
        "synthetic_source_frames_per_s": round(synthetic["frames"] / synthetic["seconds"]),
        "latency_at_10k": latency,
        "candidates": one[0]["candidates_sent"],
    }
    out = results_file("throughput", args.quick)
    write_results(out, results)

    rows = [
        ("plain loop (same job, one Python loop)", f"{plain_rate:,.0f} frames/s", ""),
        (
            "plain loop with the decoder's prefilter",
            f"{lean_rate:,.0f} frames/s",
            f"job: {one_rate / lean_rate:.2f}x this",
        ),
        (
            "whole job, 1 process",
            f"{one_rate:,.0f} frames/s",
            f"{one_rate / plain_rate:.2f}x plain (target >= 1.0)",
        ),
        (
            "whole job, 2 processes",
            f"{two_rate:,.0f} frames/s",
            f"{two_rate / one_rate:.2f}x one (target >= 1.7)",
        ),
        ("synthetic source alone", f"{results['synthetic_source_frames_per_s']:,} frames/s", ""),
        (
            "latency at 10,000 tx/s",
            f"p50 {latency['p50_ms']} ms, p99 {latency['p99_ms']} ms",
            f"target p99 <= {latency['target_p99_ms']} ms",
        ),
    ]
    print(f"{count:,} frames, {size_mb:.0f} MB, {results['candidates']} candidates")
    for name, value, note in rows:
        print(f"{name:<42} {value:<30} {note}")
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
