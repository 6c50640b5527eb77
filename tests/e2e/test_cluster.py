"""The job as a cluster of real processes on loopback (`-i k -a "127.0.0.1:P0;127.0.0.1:P1"`), by
hand and through the launcher (`python -m localcluster`): the same candidates as one process,
work on both processes, and the conservation laws over the sums of the final snapshots (the
contract's cluster form)."""

from __future__ import annotations

import signal
import socket
import subprocess
from pathlib import Path
from typing import Any

import orjson
import pytest

from connectors.recorder import as_line
from domain.metrics import SNAPSHOT_KEYS, conservation_problems
from fakechain import generate_range
from localcluster.jobrun import launcher_command, start_job
from localcluster.options import addresses, free_port_run
from tests.jobs import (
    ROOT,
    JobResult,
    finish_job,
    finite_synthetic,
    job_env,
    run_job,
    wait_for_lines,
    without_source,
    without_time,
)

pytestmark = pytest.mark.e2e

TOTAL = 6000
SEED = 7
LAUNCH_RATIO = 0.05
SETTINGS = finite_synthetic(TOTAL, LAUNCH_RATIO, seed=SEED, partitions=2)


@pytest.fixture(scope="module")
def one_process() -> JobResult:
    """The reference: one process, same settings."""
    result = run_job(SETTINGS)
    result.assert_conserved()
    assert result.snapshot["tx_seen"] == TOTAL
    return result


def start_cluster(
    started: list[subprocess.Popen[Any]],
    directory: Path,
    settings: dict[str, str],
    count: int = 2,
) -> list[tuple[subprocess.Popen[str], Path, Path]]:
    """Process k of a cluster started by hand, its stdout and stderr in files (pipes would have
    to be read concurrently: the process that sends would block on a full one)."""
    cluster = addresses("127.0.0.1", free_port_run(count), count)
    members = []
    for k in range(count):
        stdout, stderr = directory / f"process-{k}.out", directory / f"process-{k}.err"
        with stdout.open("w") as out, stderr.open("w") as err:
            proc = start_job(settings, "-i", str(k), "-a", cluster, stdout=out, stderr=err)
        started.append(proc)
        members.append((proc, stdout, stderr))
    return members


def finish_cluster(
    members: list[tuple[subprocess.Popen[str], Path, Path]], timeout: float = 60
) -> list[JobResult]:
    results = []
    for proc, stdout, stderr in members:
        proc.wait(timeout=timeout)
        results.append(JobResult.parse(proc.returncode, stdout.read_text(), stderr.read_text()))
    return results


def by_signature(candidates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(map(without_time, candidates), key=lambda c: c["signature"])


def by_signature_any_source(candidates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(map(without_source, candidates), key=lambda c: c["signature"])


def check_cluster(
    snapshots: list[dict[str, Any]], candidates: list[dict[str, Any]], reference: JobResult
) -> None:
    """Work on every process, the laws over the sums, exactly the reference's candidates."""
    assert all(s["tx_seen"] > 0 for s in snapshots), snapshots
    total = {key: sum(s[key] for s in snapshots) for key in SNAPSHOT_KEYS}
    assert conservation_problems(total) == []
    assert total["tx_seen"] == reference.snapshot["tx_seen"]
    assert total["candidates_sent"] == len(candidates)
    signatures = [c["signature"] for c in candidates]
    assert len(signatures) == len(set(signatures)), "a signature became a candidate twice"
    pairs = [(c["mint"], c["event"]) for c in candidates if c["mint"] is not None]
    assert len(pairs) == len(set(pairs)), "a (mint, event) pair became a candidate twice"
    assert by_signature(candidates) == by_signature(reference.candidates)


def test_two_processes_deliver_exactly_the_candidates_of_one(
    tmp_path: Path, one_process: JobResult, started: list[subprocess.Popen[Any]]
) -> None:
    outcomes = finish_cluster(start_cluster(started, tmp_path, SETTINGS))
    for k, outcome in enumerate(outcomes):
        assert outcome.returncode == 0, f"process {k}:\n{outcome.stderr[-3000:]}"
        assert f"starting: process {k}," in outcome.stderr
    # Only the process that owns the candidate key sends; the stdout of both is collected.
    candidates = [c for outcome in outcomes for c in outcome.candidates]
    check_cluster([o.snapshot for o in outcomes], candidates, one_process)
    assert [o.snapshot["candidates_sent"] > 0 for o in outcomes].count(True) == 1


def write_replay_file(path: Path) -> None:
    """The frames of the synthetic stream SETTINGS describes, laid out so that replay partition
    p of 2 plays exactly synthetic partition p: the first half of the file (by bytes) holds
    partition 0's frames, the second half partition 1's, each padded with blank lines (skipped,
    not counted) to the same size. So the replayed candidates are the synthetic run's."""
    halves: list[list[bytes]] = [[], []]
    for tx in generate_range(SEED, TOTAL, LAUNCH_RATIO, partitions=2):
        halves[tx.index % 2].append(as_line(tx.payload) + b"\n")
    first, second = b"".join(halves[0]), b"".join(halves[1])
    size = max(len(first), len(second))
    path.write_bytes(first.ljust(size, b"\n") + second.ljust(size, b"\n"))


def test_replay_partitioned_over_two_processes(
    tmp_path: Path, one_process: JobResult, started: list[subprocess.Popen[Any]]
) -> None:
    frames = tmp_path / "frames.jsonl"
    write_replay_file(frames)
    replay = {
        "SNIFFER_SOURCE": "replay",
        "SNIFFER_REPLAY_PATH": str(frames),
        "SNIFFER_REPLAY_PARTITIONS": "2",
        "SNIFFER_SINK": "jsonl",
    }
    alone = run_job({**replay, "SNIFFER_SINK_PATH": str(tmp_path / "alone.jsonl")})
    assert alone.returncode == 0, alone.stderr[-3000:]
    alone.candidates = [orjson.loads(line) for line in (tmp_path / "alone.jsonl").open("rb")]
    # The synthetic run's frames, replayed: the same candidates, from another source.
    assert by_signature_any_source(alone.candidates) == by_signature_any_source(
        one_process.candidates
    )
    assert {c["source"] for c in alone.candidates} == {"replay"}

    # Every process opens the jsonl sink (appending); only the one owning the candidate key
    # writes to it.
    out = tmp_path / "cluster.jsonl"
    settings = {**replay, "SNIFFER_SINK_PATH": str(out)}
    outcomes = finish_cluster(start_cluster(started, tmp_path, settings))
    for k, outcome in enumerate(outcomes):
        assert outcome.returncode == 0, f"process {k}:\n{outcome.stderr[-3000:]}"
        assert outcome.candidates == []
    candidates = [orjson.loads(line) for line in out.open("rb")]
    check_cluster([o.snapshot for o in outcomes], candidates, alone)


# --- the launcher ------------------------------------------------------------------------------


def start_launcher(
    started: list[subprocess.Popen[Any]], settings: dict[str, str], *args: str
) -> subprocess.Popen[str]:
    """The launcher with `args` (`-n 2` included, the tests vary it), output to pipes."""
    proc = subprocess.Popen(
        launcher_command(*args),
        cwd=ROOT,
        env=job_env(settings),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    started.append(proc)
    return proc


def process_snapshots(stderr: str, count: int) -> list[dict[str, Any]]:
    """Each process's final snapshot: its last `[k] {...}` line on the launcher's stderr."""
    finals: dict[int, dict[str, Any]] = {}
    for line in stderr.splitlines():
        for k in range(count):
            prefix = f"[{k}] {{"
            if line.startswith(prefix):
                finals[k] = orjson.loads(line[len(prefix) - 1 :])
    assert sorted(finals) == list(range(count)), stderr[-3000:]
    return [finals[k] for k in range(count)]


def check_launcher_sum(outcome: JobResult, snapshots: list[dict[str, Any]]) -> None:
    """The launcher's last stderr line sums the processes' final snapshots."""
    total = outcome.snapshot
    assert list(total) == list(SNAPSHOT_KEYS)
    for key in SNAPSHOT_KEYS:
        values = [s[key] for s in snapshots]
        expected = max(values) if key in ("stream_buffer_capacity", "uptime_s") else sum(values)
        assert total[key] == expected, key
    assert conservation_problems(total) == []


def test_launcher_runs_a_finite_stream_to_the_same_result(
    one_process: JobResult, started: list[subprocess.Popen[Any]]
) -> None:
    outcome = finish_job(start_launcher(started, SETTINGS, "-n", "2"))
    assert outcome.returncode == 0, outcome.stderr[-3000:]
    for k in (0, 1):
        assert f"[{k}] " in outcome.stderr
        assert f"process {k} exited with code 0" in outcome.stderr
    snapshots = process_snapshots(outcome.stderr, 2)
    check_cluster(snapshots, outcome.candidates, one_process)
    check_launcher_sum(outcome, snapshots)


def test_sigterm_to_the_launcher_drains_every_process(
    tmp_path: Path, started: list[subprocess.Popen[Any]]
) -> None:
    out = tmp_path / "candidates.jsonl"
    endless = {
        "SNIFFER_SYNTHETIC_RATE": "2000",
        "SNIFFER_SYNTHETIC_LAUNCH_RATIO": "0.05",
        "SNIFFER_SYNTHETIC_PARTITIONS": "2",
        "SNIFFER_SINK": "jsonl",
        "SNIFFER_SINK_PATH": str(out),
    }
    launcher = start_launcher(started, endless, "-n", "2")
    wait_for_lines(out, 20, launcher)  # both processes are connected and running
    launcher.send_signal(signal.SIGTERM)
    outcome = finish_job(launcher)
    assert outcome.returncode == 0, outcome.stderr[-3000:]
    assert "SIGTERM: forwarded to processes 0, 1" in outcome.stderr
    lines = outcome.stderr.splitlines()
    for k in (0, 1):
        # Each process ran its own graceful drain and exited 0.
        assert any(
            line.startswith(f"[{k}] ") and "SIGTERM: stopping input" in line for line in lines
        ), outcome.stderr[-3000:]
        assert f"process {k} exited with code 0" in outcome.stderr
    snapshots = process_snapshots(outcome.stderr, 2)
    assert all(s["tx_seen"] > 0 for s in snapshots), snapshots
    check_launcher_sum(outcome, snapshots)
    written = [orjson.loads(line) for line in out.open("rb")]
    assert len(written) == outcome.snapshot["candidates_sent"] > 0
    assert len({c["signature"] for c in written}) == len(written)


def test_launcher_reports_a_bad_configuration_once_and_starts_nothing(
    started: list[subprocess.Popen[Any]],
) -> None:
    outcome = finish_job(start_launcher(started, {"SNIFFER_BATCH_SIZE": "0"}, "-n", "2"))
    assert outcome.returncode == 2
    assert outcome.stderr.count("configuration error: batch_size='0'") == 1
    assert "[0]" not in outcome.stderr


def test_launcher_fails_when_one_process_fails(started: list[subprocess.Popen[Any]]) -> None:
    # Process 1 cannot serve its metrics (port + 1 is taken) and exits 2 before it connects;
    # process 0 then waits for a peer that never comes, and is stopped by the launcher.
    base = free_port_run(2)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", base + 1))
        taken.listen()
        settings = {"SNIFFER_METRICS_PORT": str(base), "SNIFFER_SYNTHETIC_PARTITIONS": "2"}
        outcome = finish_job(start_launcher(started, settings, "-n", "2", "--kill-after", "1"))
    assert outcome.returncode == 2, outcome.stderr[-3000:]
    assert "[1] sniffer: cannot serve metrics" in outcome.stderr
    assert "process 1 exited with code 2" in outcome.stderr
    assert "process 1 failed: stopping the others" in outcome.stderr
    assert "process 0 exited with code" in outcome.stderr
