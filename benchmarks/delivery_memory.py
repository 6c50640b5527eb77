"""Memory of the send step under sustained overload, one subprocess per mode and drop policy so
that each peak RSS (VmHWM) belongs to one run alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from dataclasses import asdict
from pathlib import Path
from typing import Any

from benchmarks.delivery_feed import make_batch, rss_kb
from benchmarks.delivery_runs import (
    CONSUMER_DELAY_S,
    OVERLOAD,
    delivery_config,
    ideal_per_s,
    run_delivery,
)

ROOT = Path(__file__).resolve().parents[1]


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
