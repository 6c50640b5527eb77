"""The contract's JSON snapshot as bytes, and the snapshot file: `snapshot_path` rewritten every
`snapshot_interval_s` while the job runs and once more when it closes, each time atomically (a
temporary file renamed over it), so a reader never sees half a file."""

from __future__ import annotations

import os
from pathlib import Path

import orjson

from domain.metrics import Metrics
from observability.periodic import Periodic


def snapshot_json(metrics: Metrics) -> bytes:
    """The snapshot as one JSON object (no newline): the endpoint's, the file's and the exit
    line's bytes are the same."""
    return orjson.dumps(metrics.snapshot())


def write_snapshot(metrics: Metrics, path: Path) -> None:
    """Write the snapshot to `path` atomically (write a temporary file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(snapshot_json(metrics) + b"\n")
    os.replace(tmp, path)


class SnapshotFile(Periodic):
    """Keeps `path` up to date from `start()`; `close()` writes it one last time."""

    def __init__(self, metrics: Metrics, path: Path, interval_s: float) -> None:
        super().__init__("sniffer-snapshot-file", interval_s)
        self._metrics = metrics
        self.path = path

    def tick(self) -> None:
        write_snapshot(self._metrics, self.path)

    def close(self) -> None:
        super().close()
        write_snapshot(self._metrics, self.path)
