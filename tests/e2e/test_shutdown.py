"""Graceful shutdown on a real process: SIGINT or SIGTERM stops the input, flushes open batches,
drains the buffers within `graceful_shutdown_timeout_ms`, counts what is left in
`dropped_shutdown`, prints the final snapshot and exits 0. A second signal stops at once."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest

from tests.jobs import finish_job, start_job, wait_for_lines


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_calm_stream_stops_cleanly_with_everything_delivered(
    tmp_path: Path, signum: signal.Signals
) -> None:
    out = tmp_path / "candidates.jsonl"
    proc = start_job(
        {
            "SNIFFER_SYNTHETIC_RATE": "2000",
            "SNIFFER_SYNTHETIC_LAUNCH_RATIO": "0.05",
            "SNIFFER_SINK": "jsonl",
            "SNIFFER_SINK_PATH": str(out),
        }
    )
    wait_for_lines(out, 20, proc)
    proc.send_signal(signum)
    result = finish_job(proc)
    assert result.returncode == 0, result.stderr[-2000:]
    result.assert_conserved()
    snap = result.snapshot
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
    proc = start_job(
        {
            "SNIFFER_SYNTHETIC_RATE": "4000",
            "SNIFFER_SYNTHETIC_LAUNCH_RATIO": "1.0",
            "SNIFFER_SINK": "null",
            "SNIFFER_SINK_DELAY_MS": "50",
            "SNIFFER_STREAM_BUFFER_CAPACITY": "256",
            "SNIFFER_GRACEFUL_SHUTDOWN_TIMEOUT_MS": "300",
            "SNIFFER_BATCH_SEND_MODE": mode,
            "SNIFFER_DROP_POLICY": policy,
            "SNIFFER_DEAD_LETTER_PATH": str(dead),
            "SNIFFER_SNAPSHOT_PATH": str(tmp_path / "snapshot.json"),
            "SNIFFER_SNAPSHOT_INTERVAL_S": "0.2",
        }
    )
    # Wait until the buffers are visibly full: the consumer is far slower than the launches.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        snapshot = tmp_path / "snapshot.json"
        if snapshot.exists() and json.loads(snapshot.read_text())["stream_buffer_depth"] >= 256:
            break
        time.sleep(0.1)
    else:
        raise AssertionError("the buffers never filled")
    proc.send_signal(signal.SIGTERM)
    result = finish_job(proc)
    assert result.returncode == 0, result.stderr[-2000:]
    result.assert_conserved()
    snap = result.snapshot
    # 256 per buffer at 16 per 50 ms cannot drain in 300 ms: the rest is counted, not lost.
    assert snap["dropped_shutdown"] > 0
    assert snap["stream_buffer_depth"] == 0
    reasons = [json.loads(line)["reason"] for line in dead.read_text().splitlines()]
    assert reasons.count("dropped_shutdown") == snap["dropped_shutdown"]
    if policy == "block":
        assert snap["dropped_full_buffer"] == 0


def test_a_second_signal_stops_at_once(tmp_path: Path) -> None:
    out = tmp_path / "candidates.jsonl"
    proc = start_job(
        {
            "SNIFFER_SYNTHETIC_RATE": "4000",
            "SNIFFER_SYNTHETIC_LAUNCH_RATIO": "1.0",
            "SNIFFER_SINK": "jsonl",
            "SNIFFER_SINK_PATH": str(out),
            "SNIFFER_SINK_DELAY_MS": "200",
            "SNIFFER_DROP_POLICY": "block",
            "SNIFFER_GRACEFUL_SHUTDOWN_TIMEOUT_MS": "600000",
        }
    )
    wait_for_lines(out, 16, proc)
    proc.send_signal(signal.SIGTERM)
    time.sleep(0.5)  # let the first signal start the (ten-minute) drain
    assert proc.poll() is None
    proc.send_signal(signal.SIGTERM)
    result = finish_job(proc, timeout=30)
    assert result.returncode == 130
    assert "stopping at once" in result.stderr
