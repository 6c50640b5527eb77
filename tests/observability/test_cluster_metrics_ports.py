"""In a cluster, process N serves its own metrics on metrics_port + N; each stops on SIGTERM
with its own snapshot, and the conservation laws hold over the sums. Plus how a process learns
its N (`-i`, BYTEWAX_PROCESS_ID, or a Kubernetes StatefulSet pod name)."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import pytest

from domain.metrics import SNAPSHOT_KEYS, conservation_problems
from flows.runtime import process_id
from tests.deploy.support import (
    RunningJob,
    free_port,
    free_port_run,
    is_number,
    try_get_json,
    wait_for,
)

pytestmark = pytest.mark.e2e


def counting(url: str) -> dict[str, Any] | None:
    """The snapshot at `url` once it counts some transactions."""
    snapshot = try_get_json(url)
    return snapshot if snapshot and snapshot["tx_seen"] > 0 else None


def test_each_process_serves_its_own_snapshot_on_port_plus_its_id(
    tmp_path: Path, jobs: list[RunningJob]
) -> None:
    metrics_port = free_port_run(2)
    addresses = ";".join(f"127.0.0.1:{free_port()}" for _ in range(2))
    settings = {
        "SNIFFER_METRICS_PORT": str(metrics_port),
        "SNIFFER_SYNTHETIC_PARTITIONS": "2",
        "SNIFFER_SINK": "null",
    }
    for pid in (0, 1):
        jobs.append(RunningJob(tmp_path / f"p{pid}", settings, "-i", str(pid), "-a", addresses))

    for pid, job in enumerate(jobs):
        port = metrics_port + pid
        # Both processes run a source partition, so both count transactions.
        snapshot = wait_for(
            partial(counting, f"http://127.0.0.1:{port}/snapshot"),
            f"process {pid} serving a snapshot with transactions on port {port}",
            diagnostics=lambda: "\n".join(j.tail() for j in jobs),
        )
        assert list(snapshot) == list(SNAPSHOT_KEYS)
        assert all(is_number(v) for v in snapshot.values()), snapshot
        # The endpoint on port + N is this process's, by its own word.
        assert f"starting: process {pid}," in job.stderr(), job.tail()
        assert f"metrics on http://127.0.0.1:{port}/metrics" in job.stderr(), job.tail()

    for job in jobs:  # every process receives the signal, as every pod does under Kubernetes
        job.terminate()
    finals = [job.stop()[1] for job in jobs]
    assert all(final["tx_seen"] > 0 for final in finals)
    total = {key: sum(final[key] for final in finals) for key in SNAPSHOT_KEYS}
    assert conservation_problems(total) == []


@pytest.mark.parametrize(
    ("argv", "env", "expected"),
    [
        ([], {}, 0),
        (["-i", "3", "-a", "a:1;b:2"], {}, 3),
        (["--process-id", "2"], {}, 2),
        (["-w", "2"], {"BYTEWAX_PROCESS_ID": "5"}, 5),
        (["-i", "1"], {"BYTEWAX_PROCESS_ID": "5"}, 1),  # the flag wins
        ([], {"BYTEWAX_POD_NAME": "sniffer-4", "BYTEWAX_STATEFULSET_NAME": "sniffer"}, 4),
        ([], {"BYTEWAX_POD_NAME": "other-4", "BYTEWAX_STATEFULSET_NAME": "sniffer"}, 0),
        ([], {"BYTEWAX_POD_NAME": "sniffer-4"}, 0),
    ],
)
def test_process_id(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], env: dict[str, str], expected: int
) -> None:
    for name in ("BYTEWAX_PROCESS_ID", "BYTEWAX_POD_NAME", "BYTEWAX_STATEFULSET_NAME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert process_id(argv) == expected
