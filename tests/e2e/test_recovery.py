"""Crash recovery on a real process: killed with SIGKILL mid-stream and started again with the
same recovery directory, the job delivers every candidate of an uninterrupted run, the jsonl file
holds none twice, and both conservation laws hold over the resumed counters."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from tests.jobs import ROOT, finish_job, run_job, start_job, wait_for_lines

pytestmark = pytest.mark.e2e

TOTAL = 30_000

SETTINGS = {
    "SNIFFER_SYNTHETIC_TOTAL": str(TOTAL),
    "SNIFFER_SYNTHETIC_RATE": "6000",
    "SNIFFER_SYNTHETIC_LAUNCH_RATIO": "0.05",
    "SNIFFER_SYNTHETIC_SEED": "5",
    "SNIFFER_SINK": "jsonl",
}


def signatures(path: Path) -> list[str]:
    return [orjson.loads(line)["signature"] for line in path.read_bytes().splitlines()]


def create_recovery_store(directory: Path) -> Path:
    """The README's two steps: make the directory, then let Bytewax lay out its partitions."""
    directory.mkdir()
    subprocess.run(
        [sys.executable, "-m", "bytewax.recovery", str(directory), "1"], cwd=ROOT, check=True
    )
    return directory


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    out = tmp_path_factory.mktemp("reference") / "candidates.jsonl"
    result = run_job({**SETTINGS, "SNIFFER_SINK_PATH": str(out)})
    result.assert_conserved()
    return signatures(out)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_kill_and_restart_loses_nothing(
    tmp_path: Path, uninterrupted: list[str], mode: str
) -> None:
    store = create_recovery_store(tmp_path / "recovery")
    out = tmp_path / "candidates.jsonl"
    settings = {**SETTINGS, "SNIFFER_SINK_PATH": str(out), "SNIFFER_BATCH_SEND_MODE": mode}
    args = ("-r", str(store), "-s", "1", "-b", "0")

    first = start_job(settings, *args)
    wait_for_lines(out, len(uninterrupted) // 3, first)
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=30)
    assert first.returncode == -signal.SIGKILL
    written_before = len(signatures(out))
    assert 0 < written_before < len(uninterrupted)

    second = finish_job(start_job(settings, *args))
    second.assert_conserved()

    delivered = signatures(out)
    assert set(delivered) == set(uninterrupted), "a candidate was lost across the crash"
    if mode == "sync":
        # The jsonl file went back to the snapshot's position: nothing is in it twice.
        assert len(delivered) == len(set(delivered))
    # The resumed run continued from the snapshot's counters, not from zero.
    assert second.snapshot["candidates_sent"] >= len(uninterrupted)
    assert second.snapshot["tx_seen"] >= TOTAL


def test_graceful_stop_then_resume_continues_exactly(
    tmp_path: Path, uninterrupted: list[str]
) -> None:
    store = create_recovery_store(tmp_path / "recovery")
    out = tmp_path / "candidates.jsonl"
    settings = {**SETTINGS, "SNIFFER_SINK_PATH": str(out)}
    args = ("-r", str(store), "-s", "1", "-b", "0")

    first = start_job(settings, *args)
    wait_for_lines(out, len(uninterrupted) // 3, first)
    first.send_signal(signal.SIGTERM)
    stopped = finish_job(first)
    stopped.assert_conserved()
    assert stopped.snapshot["tx_seen"] < TOTAL

    resumed = finish_job(start_job(settings, *args))
    resumed.assert_conserved()
    delivered = signatures(out)
    assert sorted(delivered) == sorted(uninterrupted)
    assert resumed.snapshot["tx_seen"] == TOTAL
