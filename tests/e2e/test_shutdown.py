"""Graceful shutdown on a real process: SIGINT or SIGTERM stops the input, flushes open batches,
drains the buffers within `graceful_shutdown_timeout_ms`, counts what is left in
`dropped_shutdown`, prints the final snapshot and exits 0. A second signal stops at once."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.jobs import finish_job, settings, start_job, wait_for_lines

pytestmark = pytest.mark.e2e


def endless(rate: int, launch_ratio: float, **fields: Any) -> dict[str, str]:
    """An endless synthetic stream at `rate` tx/s, plus `fields` as `SNIFFER_<FIELD>` settings."""
    return settings(synthetic_rate=rate, synthetic_launch_ratio=launch_ratio, **fields)


def wait_until(done: Callable[[], bool], proc: subprocess.Popen[str], what: str) -> None:
    """A bounded wait for something the running job does; never a timing assertion."""
    deadline = time.monotonic() + 60
    while not done():
        assert proc.poll() is None, f"the job ended early: {proc.returncode}"
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_calm_stream_stops_cleanly_with_everything_delivered(
    tmp_path: Path, signum: signal.Signals
) -> None:
    out = tmp_path / "candidates.jsonl"
    proc = start_job(endless(2000, 0.05, sink="jsonl", sink_path=out))
    wait_for_lines(out, 20, proc)
    proc.send_signal(signum)
    result = finish_job(proc)
    snap = result.assert_conserved()
    assert snap["dropped_shutdown"] == 0
    assert snap["stream_buffer_depth"] == 0
    assert (
        snap["candidates_sent"] == snap["candidates_detected"] == len(out.read_text().splitlines())
    )
    assert "draining" in result.stderr


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("policy", ["drop_newest", "block"])
def test_overloaded_drain_is_cut_at_the_timeout_and_counted(
    tmp_path: Path, mode: str, policy: str
) -> None:
    dead = tmp_path / "dead.jsonl"
    snapshot = tmp_path / "snapshot.json"
    overload = {"sink": "null", "sink_delay_ms": 50, "stream_buffer_capacity": 256}
    drain = {"graceful_shutdown_timeout_ms": 300, "batch_send_mode": mode, "drop_policy": policy}
    files = {"dead_letter_path": dead, "snapshot_path": snapshot, "snapshot_interval_s": 0.2}
    proc = start_job(endless(4000, 1.0, **overload, **drain, **files))
    # Wait until the buffers are visibly full: the consumer is far slower than the launches.
    wait_until(
        lambda: (
            snapshot.exists() and json.loads(snapshot.read_text())["stream_buffer_depth"] >= 256
        ),
        proc,
        "the buffers never filled",
    )
    proc.send_signal(signal.SIGTERM)
    snap = finish_job(proc).assert_conserved()
    # 256 per buffer at 16 per 50 ms cannot drain in 300 ms: the rest is counted, not lost.
    assert snap["dropped_shutdown"] > 0
    assert snap["stream_buffer_depth"] == 0
    reasons = [json.loads(line)["reason"] for line in dead.read_text().splitlines()]
    assert reasons.count("dropped_shutdown") == snap["dropped_shutdown"]
    if policy == "block":
        assert snap["dropped_full_buffer"] == 0


def test_a_second_signal_stops_at_once(tmp_path: Path) -> None:
    out, err = tmp_path / "candidates.jsonl", tmp_path / "stderr.txt"
    job = endless(
        4000,
        1.0,
        sink="jsonl",
        sink_path=out,
        sink_delay_ms=200,
        drop_policy="block",
        graceful_shutdown_timeout_ms=600000,
    )
    with err.open("w") as stderr:
        proc = start_job(job, stderr=stderr)
    try:
        wait_for_lines(out, 16, proc)
        proc.send_signal(signal.SIGTERM)
        # The first signal has started the (ten-minute) drain once the job says so.
        wait_until(lambda: "draining" in err.read_text(), proc, "no drain after SIGTERM")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)
    assert "stopping at once" in err.read_text()
