"""The seed's overload at full rate: every frame a launch, 20,000 tx/s offered, a slow consumer.

    .venv/bin/python -m benchmarks.overload                 # 20 s per drop policy
    .venv/bin/python -m benchmarks.overload --seconds 8     # shorter

The real command, `python -m bytewax.run flows.sniffer`, once per drop policy with the settings of
the seed's backpressure test (``SNIFFER_SYNTHETIC_LAUNCH_RATIO=1.0``, ``SNIFFER_SYNTHETIC_RATE=
20000``, ``SNIFFER_SINK=null``, ``SNIFFER_SINK_DELAY_MS=20``), stopped by SIGINT after the given
time. From the job's own snapshot file (written every second) and /proc: transactions taken in
per second in steady state (between the second and the last snapshot); the deepest the two
stream buffers (HIGH and LOW, each of ``stream_buffer_capacity``) were seen together, against
their sum; RSS at the second and the last snapshot; and what each policy did (dropped full,
sent). Each figure is printed beside its target; the numbers go to
benchmarks/results/overload.json (overload-quick.json with --seconds below 20).

Targets (issue 12): at least 18,000 tx/s taken in (``block`` holds the input back by design, so
it is reported, not held to it), buffers within capacity, RSS flat (growth under 10 % between the
first and the last snapshot), drop_newest and drop_oldest dropping, block dropping nothing.
"""

from __future__ import annotations

import argparse
import json
import signal
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.record import machine, results_file, write_results
from domain.metrics import conservation_problems
from localcluster.jobrun import finish_job, start_job

POLICIES = ("drop_newest", "drop_oldest", "block")
TARGET_TX_PER_S = 18_000
SETTINGS = {
    "SNIFFER_SYNTHETIC_LAUNCH_RATIO": "1.0",
    "SNIFFER_SYNTHETIC_RATE": "20000",
    "SNIFFER_SINK": "null",
    "SNIFFER_SINK_DELAY_MS": "20",
    "SNIFFER_METRICS_PORT": "0",
    "SNIFFER_STATUS_INTERVAL_S": "0",
    "SNIFFER_LOG_LEVEL": "WARNING",
}


def _rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def run_policy(policy: str, seconds: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        snapshot_path = Path(tmp) / "snapshot.json"
        proc = start_job(
            {
                **SETTINGS,
                "SNIFFER_DROP_POLICY": policy,
                "SNIFFER_SNAPSHOT_PATH": str(snapshot_path),
                "SNIFFER_SNAPSHOT_INTERVAL_S": "1",
            }
        )
        samples: list[tuple[float, dict[str, Any], int | None]] = []
        deepest = 0
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.5)
            try:
                snap = json.loads(snapshot_path.read_text())
            except (OSError, ValueError):
                continue
            if not samples or snap["uptime_s"] != samples[-1][1]["uptime_s"]:
                samples.append((time.monotonic(), snap, _rss_kib(proc.pid)))
                deepest = max(deepest, int(snap["stream_buffer_depth"]))
        proc.send_signal(signal.SIGINT)
        result = finish_job(proc, timeout=120)
    if len(samples) < 3:
        raise SystemExit(f"{policy}: too few snapshots ({len(samples)}); exit {result.returncode}")
    (_, first, rss_first), (_, last, rss_last) = samples[1], samples[-1]
    span = last["uptime_s"] - first["uptime_s"]
    rate = (last["tx_seen"] - first["tx_seen"]) / span if span > 0 else 0.0
    final = result.snapshot or last
    return {
        "policy": policy,
        "tx_per_s": round(rate),
        "deepest_buffer": deepest,
        "capacity": int(final["stream_buffer_capacity"]),
        "rss_kib_first": rss_first,
        "rss_kib_last": rss_last,
        "sent_per_s": round((last["candidates_sent"] - first["candidates_sent"]) / span)
        if span > 0
        else 0,
        "dropped_full_buffer": final["dropped_full_buffer"],
        "backpressure_events": final["backpressure_events"],
        "exit_code": result.returncode,
        "conservation": conservation_problems(final) if result.snapshot else ["no final snapshot"],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="run time per policy")
    args = parser.parse_args(argv)
    rows = [run_policy(policy, args.seconds) for policy in POLICIES]
    header = f"{'policy':<12}{'tx/s in':>9}  {'target':<14}{'buffers max':>12}"
    print(f"{header}  {'RSS KiB first->last':>20}  {'sent/s':>7}  {'dropped':>8}  laws")
    for row in rows:
        target = "(holds input)" if row["policy"] == "block" else f">= {TARGET_TX_PER_S:,}"
        rss = f"{row['rss_kib_first']}->{row['rss_kib_last']}"
        laws = "ok" if not row["conservation"] else "; ".join(row["conservation"])
        buffers = f"{row['deepest_buffer']}/{2 * row['capacity']}"  # HIGH and LOW together
        print(
            f"{row['policy']:<12}{row['tx_per_s']:>9,}  {target:<14}{buffers:>12}  {rss:>20}"
            f"  {row['sent_per_s']:>7,}  {row['dropped_full_buffer']:>8,.0f}  {laws}"
        )
    write_results(
        results_file("overload", args.seconds < 20),
        {"machine": machine(), "seconds": args.seconds, "settings": SETTINGS, "runs": rows},
    )


if __name__ == "__main__":
    main()
