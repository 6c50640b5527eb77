"""The dead-letter file: one JSON line per frame that could not be decoded or candidate that
could not be delivered, with its reason, so nothing is lost silently.

Lines are appended with O_APPEND in a single `write`, so several workers and even several
processes can share one file without tearing lines.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from bytewax.outputs import DynamicSink, StatelessSinkPartition

from domain.metrics import Metrics


class DeadLetterFile:
    """Appends JSON lines to `path`, thread-safe, counting each line in `sniffer_dead_letters`."""

    def __init__(self, path: Path, metrics: Metrics) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._lock = threading.Lock()
        self._metrics = metrics

    def append(self, lines: list[bytes]) -> None:
        if not lines:
            return
        data = b"".join(line + b"\n" for line in lines)
        with self._lock:
            os.write(self._fd, data)
        self._metrics.dead_letters.inc(len(lines))

    def close(self) -> None:
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1


class DeadLetterSink(DynamicSink[bytes]):
    """A Bytewax sink over one shared `DeadLetterFile` (items are ready-made JSON lines)."""

    def __init__(self, file: DeadLetterFile) -> None:
        self._file = file

    def build(
        self, step_id: str, worker_index: int, worker_count: int
    ) -> StatelessSinkPartition[bytes]:
        return _DeadLetterPartition(self._file)


class _DeadLetterPartition(StatelessSinkPartition[bytes]):
    def __init__(self, file: DeadLetterFile) -> None:
        self._file = file

    def write_batch(self, items: list[bytes]) -> None:
        self._file.append(items)
