"""Running the real job, `python -m bytewax.run flows.sniffer`, in a subprocess, and reading what
a user would read: candidates on stdout (or in a file), the snapshot on the last stderr line."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from domain.metrics import conservation_problems

ROOT = Path(__file__).resolve().parents[1]

#: The contract's output keys, in order.
CANDIDATE_KEYS = [
    "signature",
    "slot",
    "launchpad",
    "mint",
    "creator",
    "name",
    "symbol",
    "uri",
    "initial_buy_sol",
    "priority",
    "score",
    "detected_at",
]


@dataclass
class JobResult:
    returncode: int
    stdout: str
    stderr: str
    candidates: list[dict[str, Any]] = field(default_factory=list)
    snapshot: dict[str, Any] = field(default_factory=dict)

    def assert_conserved(self) -> None:
        problems = conservation_problems(self.snapshot)
        assert not problems, problems


def job_env(settings: dict[str, str]) -> dict[str, str]:
    """The caller's environment without any SNIFFER_ setting of its own, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SNIFFER_")}
    # Tests run one job after another; no fixed metrics port, and no status lines, unless asked.
    env["SNIFFER_METRICS_PORT"] = "0"
    env["SNIFFER_STATUS_INTERVAL_S"] = "0"
    env.update(settings)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_job(settings: dict[str, str], *bytewax_args: str, timeout: float = 180) -> JobResult:
    """Run the job to completion and parse what it printed."""
    proc = subprocess.run(
        [sys.executable, "-m", "bytewax.run", "flows.sniffer", *bytewax_args],
        cwd=ROOT,
        env=job_env(settings),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    result = JobResult(proc.returncode, proc.stdout, proc.stderr)
    result.candidates = [orjson.loads(line) for line in proc.stdout.splitlines() if line]
    lines = proc.stderr.strip().splitlines()
    if proc.returncode == 0 and lines:
        result.snapshot = orjson.loads(lines[-1])
    return result


def without_time(candidate: dict[str, Any]) -> dict[str, Any]:
    """A candidate minus `detected_at`, the one field that differs between identical runs."""
    return {k: v for k, v in candidate.items() if k != "detected_at"}


def start_job(settings: dict[str, str], *bytewax_args: str) -> subprocess.Popen[str]:
    """Start the job in the background (stdout and stderr captured as text)."""
    return subprocess.Popen(
        [sys.executable, "-m", "bytewax.run", "flows.sniffer", *bytewax_args],
        cwd=ROOT,
        env=job_env(settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish_job(proc: subprocess.Popen[str], timeout: float = 120) -> JobResult:
    """Wait for a started job and parse what it printed, as `run_job` does."""
    stdout, stderr = proc.communicate(timeout=timeout)
    result = JobResult(proc.returncode, stdout, stderr)
    result.candidates = [orjson.loads(line) for line in stdout.splitlines() if line]
    lines = stderr.strip().splitlines()
    if proc.returncode == 0 and lines:
        result.snapshot = orjson.loads(lines[-1])
    return result


def wait_for_lines(
    path: Path, count: int, proc: subprocess.Popen[str], timeout: float = 60
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
