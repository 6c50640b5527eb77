"""Running the real job, `python -m bytewax.run flows.sniffer`, as a child process and reading
what a user would read: candidates on stdout, the final snapshot on the last line of stderr.

The tests, the notebooks and the benchmarks all start the job this way, so they share this one
module: the command, the environment (the caller's own `SNIFFER_*` variables left out, so a run
is configured by what it passes and nothing else) and the parsing of what the job printed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from domain.metrics import SNAPSHOT_KEYS, conservation_problems

#: The repository: the job's working directory, so `flows.sniffer` imports from this tree.
ROOT = Path(__file__).resolve().parents[1]

#: The module `bytewax.run` runs.
JOB = "flows.sniffer"

#: What Bytewax's networking layer prints on stdout while it retries a connection to a peer:
#: not a candidate.
NETWORK_LINE = re.compile(rb"^worker \d+:\t")

#: Settings a child job gets unless the caller names them: runs follow one another, so no fixed
#: metrics port, and no periodic status lines in the captured stderr.
QUIET = {"SNIFFER_METRICS_PORT": "0", "SNIFFER_STATUS_INTERVAL_S": "0"}


def job_command(*bytewax_args: str) -> list[str]:
    """The command line of the job with `bytewax_args` (`-w 2`, `-i 0 -a ...`, `-r dir`)."""
    return [sys.executable, "-m", "bytewax.run", JOB, *bytewax_args]


def job_env(settings: dict[str, str]) -> dict[str, str]:
    """This process's environment without its `SNIFFER_*` variables, then `QUIET`, then
    `settings`; output unbuffered so a reader sees each line as it is written."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SNIFFER_")}
    env.update(QUIET)
    env.update(settings)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def is_network_line(line: str) -> bool:
    return NETWORK_LINE.match(line.encode() + b"\n") is not None


def parse_snapshot(line: bytes | str) -> dict[str, Any] | None:
    """`line` as a final snapshot (a JSON object holding every snapshot key), else None."""
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(value, dict) or any(key not in value for key in SNAPSHOT_KEYS):
        return None
    return value


@dataclass
class JobResult:
    """What one run printed: every stdout line but the network layer's is a candidate; after a
    clean exit the last stderr line is the snapshot."""

    returncode: int
    stdout: str
    stderr: str
    candidates: list[dict[str, Any]] = field(default_factory=list)
    snapshot: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def parse(cls, returncode: int, stdout: str, stderr: str) -> JobResult:
        result = cls(returncode, stdout, stderr)
        result.candidates = [
            orjson.loads(line) for line in stdout.splitlines() if line and not is_network_line(line)
        ]
        lines = stderr.strip().splitlines()
        if returncode == 0 and lines:
            result.snapshot = orjson.loads(lines[-1])
        return result

    def conservation_problems(self) -> list[str]:
        return conservation_problems(self.snapshot)

    def assert_conserved(self) -> dict[str, Any]:
        """The final snapshot; AssertionError unless the run exited 0 and the snapshot keeps
        both conservation laws."""
        if self.returncode != 0:
            raise AssertionError(f"exit code {self.returncode}:\n{self.stderr[-3000:]}")
        problems = self.conservation_problems()
        if problems:
            raise AssertionError(problems)
        return self.snapshot


def _popen(
    command: list[str], settings: dict[str, str], stdout: int | IO[Any], stderr: int | IO[Any]
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=job_env(settings),
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=stderr,
        text=True,
    )


def run_command(command: list[str], settings: dict[str, str], timeout: float = 180) -> JobResult:
    """Run `command` (the job, the launcher, the `sniffer` script) with `job_env(settings)` to
    its end and parse what it printed."""
    with _popen(command, settings, subprocess.PIPE, subprocess.PIPE) as proc:
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    return JobResult.parse(proc.returncode, stdout, stderr)


def run_job(settings: dict[str, str], *bytewax_args: str, timeout: float = 180) -> JobResult:
    """Run the job to its end and parse what it printed."""
    return run_command(job_command(*bytewax_args), settings, timeout)


def launcher_command(*args: str) -> list[str]:
    """The command line of the local-cluster launcher (`-n N`, then `bytewax.run` flags)."""
    return [sys.executable, "-m", "localcluster", *args]


def run_cluster(
    settings: dict[str, str], processes: int, *bytewax_args: str, timeout: float = 180
) -> JobResult:
    """Run the job as a local cluster to its end. The launcher prints what one process would:
    candidates on stdout, and last on stderr the sum of the processes' final snapshots."""
    return run_command(launcher_command("-n", str(processes), *bytewax_args), settings, timeout)


def start_job(
    settings: dict[str, str],
    *bytewax_args: str,
    stdout: int | IO[Any] = subprocess.PIPE,
    stderr: int | IO[Any] = subprocess.PIPE,
) -> subprocess.Popen[str]:
    """Start the job in the background; its output (text) to pipes unless told otherwise."""
    return _popen(job_command(*bytewax_args), settings, stdout, stderr)


def finish_job(proc: subprocess.Popen[str], timeout: float = 120) -> JobResult:
    """Wait for a job `start_job` started and parse what it printed."""
    stdout, stderr = proc.communicate(timeout=timeout)
    return JobResult.parse(proc.returncode, stdout or "", stderr or "")
