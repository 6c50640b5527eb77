"""Observability: what the job shows about itself while it runs, read from its `Metrics`.

- `endpoint`: `/metrics` (prometheus_client's own exposition) and `/snapshot` (the contract's JSON)
  over HTTP, one endpoint per process of a cluster.
- `status_line`: the compact line on stderr every few seconds, for a person watching the job.
- `snapshot_file`: the JSON snapshot, written to a file periodically and once more at the end.

Each has an explicit `start()` / `close()`; nothing here starts a thread or binds a socket in a
constructor. `flows.runtime` owns the process lifecycle and decides which of them run.
"""

from observability.endpoint import MetricsEndpoint
from observability.snapshot_file import SnapshotFile, snapshot_json, write_snapshot
from observability.status_line import StatusLine, status_line

__all__ = [
    "MetricsEndpoint",
    "SnapshotFile",
    "StatusLine",
    "snapshot_json",
    "status_line",
    "write_snapshot",
]
