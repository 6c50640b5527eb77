"""The dead-letter file: one JSON line per frame that could not be decoded or candidate that
could not be delivered, with its reason, so nothing is lost silently.

Several workers and even several processes can share one file (see `AppendFile`).
"""

from __future__ import annotations

from pathlib import Path

from bytewax.outputs import DynamicSink, StatelessSinkPartition

from connectors._support.append_file import CountedLines
from domain.metrics import Metrics


class DeadLetterFile(CountedLines):
    """Appends JSON lines to `path`, thread-safe, counting each line in `sniffer_dead_letters`."""

    def __init__(self, path: Path, metrics: Metrics) -> None:
        super().__init__(path, metrics.dead_letters)

    def append(self, lines: list[bytes]) -> None:
        self.append_lines(lines)


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
