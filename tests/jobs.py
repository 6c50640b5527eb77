"""How the tests run things: a dataflow in this process, single-worker or with two workers (the
`entry_point` fixture offers both), and the real job in a subprocess (`localcluster.jobrun`
starts it and parses what it printed), plus the contract's output keys and a wait on a file."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from bytewax.dataflow import Dataflow
from bytewax.testing import cluster_main, run_main

from localcluster.jobrun import ROOT, JobResult, finish_job, job_env, run_job, start_job

__all__ = [
    "CANDIDATE_KEYS",
    "ENTRY_POINTS",
    "ROOT",
    "EntryPoint",
    "JobResult",
    "finish_job",
    "finite_synthetic",
    "job_env",
    "run_job",
    "run_two_workers",
    "settings",
    "start_job",
    "wait_for_lines",
    "without_source",
    "without_time",
]

EntryPoint = Callable[[Dataflow], None]

#: `cluster_main` with two worker threads in this one process.
run_two_workers: EntryPoint = partial(
    cluster_main, addresses=[], proc_id=0, worker_count_per_proc=2
)

#: How a dataflow test runs its flow, by the test id it shows.
ENTRY_POINTS: dict[str, EntryPoint] = {"run_main": run_main, "cluster_main-2w": run_two_workers}

#: The contract's output keys, in order.
CANDIDATE_KEYS = [
    "signature",
    "slot",
    "launchpad",
    "event",
    "mint",
    "quote_mint",
    "platform",
    "creator",
    "name",
    "symbol",
    "uri",
    "initial_buy_sol",
    "priority",
    "score",
    "source",
    "detected_at",
]


def settings(**fields: object) -> dict[str, str]:
    """`SNIFFER_<FIELD>` variables for `fields` (`settings(sink="jsonl", batch_size=8)`)."""
    return {f"SNIFFER_{name.upper()}": str(value) for name, value in fields.items()}


def finite_synthetic(total: int, launch_ratio: float = 0.05, **fields: object) -> dict[str, str]:
    """Settings for `total` synthetic transactions as fast as the job takes them, plus `fields`
    (`seed=7`, `partitions=2` become `synthetic_seed`, `synthetic_partitions`)."""
    named = {f"synthetic_{k}" if k in ("seed", "partitions") else k: v for k, v in fields.items()}
    return settings(
        synthetic_total=total, synthetic_rate=0, synthetic_launch_ratio=launch_ratio, **named
    )


def without_time(candidate: dict[str, Any]) -> dict[str, Any]:
    """A candidate minus `detected_at`, the one field that differs between identical runs."""
    return {k: v for k, v in candidate.items() if k != "detected_at"}


def without_source(candidate: dict[str, Any]) -> dict[str, Any]:
    """A candidate minus `detected_at` and `source`: what runs of the same transactions through
    different sources (a live run and its replay) have in common."""
    return {k: v for k, v in candidate.items() if k not in ("detected_at", "source")}


def wait_for_lines(
    path: Path, count: int, proc: subprocess.Popen[Any], timeout: float = 60
) -> None:
    """Wait until `path` holds at least `count` lines (the job is visibly mid-stream)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_bytes().count(b"\n") >= count:
            return
        if proc.poll() is not None:
            raise AssertionError(f"the job ended early: {proc.returncode}")
        time.sleep(0.05)
    raise AssertionError(f"{path} never reached {count} lines")
