"""The snapshot file in-process: nothing is written before `start()`, the file is rewritten while
it runs, `close()` writes the final counts, and no temporary file is left behind."""

from __future__ import annotations

import time
from pathlib import Path

import orjson
from prometheus_client import CollectorRegistry

from domain.metrics import SNAPSHOT_KEYS, Metrics
from observability import SnapshotFile
from tests.deploy.support import wait_for


def test_written_while_running_and_once_more_at_close(tmp_path: Path) -> None:
    metrics = Metrics(CollectorRegistry(), capacity=8)
    path = tmp_path / "out" / "snapshot.json"
    writer = SnapshotFile(metrics, path, interval_s=0.05)
    time.sleep(0.2)
    assert not path.exists(), "a constructor wrote the file"

    writer.start()
    try:
        metrics.tx_seen.inc(2)
        running = wait_for(
            lambda: (path.exists() and orjson.loads(path.read_bytes())["tx_seen"] == 2) or None,
            "the file rewritten while it runs",
        )
        assert running is True
    finally:
        metrics.tx_seen.inc(3)
        writer.close()
    final = orjson.loads(path.read_bytes())
    assert tuple(final) == SNAPSHOT_KEYS
    assert final["tx_seen"] == 5 and final["stream_buffer_capacity"] == 8
    assert not list(path.parent.glob(".*.tmp"))
