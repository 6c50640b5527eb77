"""What a person watching the job sees: status lines on stderr every status_interval_s (none
when 0), and the snapshot file at snapshot_path, kept up to date while the job runs and valid
after it exits. In-process: nothing is written before `start()` or after `close()`."""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

import orjson
import pytest
from prometheus_client import CollectorRegistry

from domain.metrics import SNAPSHOT_KEYS, Metrics, conservation_problems
from observability import StatusLine
from tests.deploy.support import RunningJob, free_port, is_number, try_get_json, wait_for

STATUS_LINE = re.compile(
    r"^sniffer: [\d,]+ tx/s \| candidates/s HIGH [\d.]+ LOW [\d.]+ \| buffered \d+"
    r" \(capacity \d+ per priority\) \| sent \d+ \| dropped \d+ \| backpressure \d+"
    r" \| invalid \d+$",
    re.MULTILINE,
)


@pytest.mark.e2e
def test_status_lines_while_running_and_the_snapshot_file(
    tmp_path: Path, jobs: list[RunningJob]
) -> None:
    snapshot_path = tmp_path / "out" / "snapshot.json"
    job = RunningJob(
        tmp_path / "job",
        {
            "SNIFFER_STATUS_INTERVAL_S": "1",
            "SNIFFER_SNAPSHOT_PATH": str(snapshot_path),
            "SNIFFER_SNAPSHOT_INTERVAL_S": "0.5",
            "SNIFFER_SINK": "null",
        },
    )
    jobs.append(job)

    def two_status_lines() -> list[str] | None:
        found = STATUS_LINE.findall(job.stderr())
        return found if len(found) >= 2 else None

    lines = wait_for(two_status_lines, "two status lines on stderr", diagnostics=job.tail)
    assert all(" tx/s " in line and " candidates/s " in line for line in lines)
    # The file is written while the job runs, not only at exit.
    running = wait_for(
        lambda: snapshot_path.exists() and orjson.loads(snapshot_path.read_bytes()),
        "the snapshot file written while the job runs",
        diagnostics=job.tail,
    )
    assert list(running) == list(SNAPSHOT_KEYS)
    assert job.alive(), job.tail()

    _, last_line = job.stop()
    final = orjson.loads(snapshot_path.read_bytes())
    assert list(final) == list(SNAPSHOT_KEYS)
    assert all(is_number(v) for v in final.values()), final
    assert conservation_problems(final) == []
    # The file's last write and the exit line are the same count (taken at rest, after the run).
    assert {k: v for k, v in final.items() if k != "uptime_s"} == {
        k: v for k, v in last_line.items() if k != "uptime_s"
    }
    assert final["tx_seen"] >= running["tx_seen"] and final["tx_seen"] > 0
    assert not list(snapshot_path.parent.glob(".*.tmp")), "a temporary file was left behind"
    # The status lines all came before the exit snapshot.
    stderr_lines = job.stderr().strip().splitlines()
    assert not STATUS_LINE.match(stderr_lines[-1])


@pytest.mark.e2e
def test_no_status_lines_when_the_interval_is_0(tmp_path: Path, jobs: list[RunningJob]) -> None:
    port = free_port()
    job = RunningJob(
        tmp_path / "job",
        {
            "SNIFFER_STATUS_INTERVAL_S": "0",
            "SNIFFER_METRICS_PORT": str(port),
            "SNIFFER_SINK": "null",
        },
    )
    jobs.append(job)
    # Run for as long as three status lines at 1 s would take, by the job's own clock.
    wait_for(
        lambda: (try_get_json(f"http://127.0.0.1:{port}/snapshot") or {}).get("uptime_s", 0) >= 3,
        "the job running for 3 s by its own uptime",
        diagnostics=job.tail,
    )
    _, snapshot = job.stop()
    assert snapshot["tx_seen"] > 0
    stderr = job.stderr()
    assert not STATUS_LINE.search(stderr), stderr[-2000:]
    assert "tx/s" not in stderr


def test_status_line_in_process_starts_with_start_and_stops_with_close() -> None:
    metrics = Metrics(CollectorRegistry(), capacity=16)
    stream = io.StringIO()
    reporter = StatusLine(metrics, interval_s=0.05, capacity=16, stream=stream)
    time.sleep(0.2)
    assert stream.getvalue() == "", "a constructor started the thread"

    reporter.start()
    metrics.tx_seen.inc(10)
    metrics.candidates_detected.labels("pump_fun", "HIGH").inc()
    try:
        wait_for(lambda: STATUS_LINE.search(stream.getvalue()), "a status line")
    finally:
        reporter.close()
    written = stream.getvalue()
    assert "(capacity 16 per priority)" in written
    time.sleep(0.2)
    assert stream.getvalue() == written, "a line was written after close()"
