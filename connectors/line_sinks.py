"""Candidates as JSON lines on a local stream: `stdout`, a `jsonl` file, or nowhere (`null`).

Every worker thread of a process may share one of these, so each write of a batch takes a lock
and goes out as one `write` call: lines from two workers never interleave mid-line.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import BinaryIO

from domain.models import Batch


def _batch_bytes(batch: Batch) -> bytes:
    return b"".join(candidate.json_line() + b"\n" for candidate in batch.candidates)


class StdoutTransport:
    """One candidate a line on standard output (logs go to stderr, never here)."""

    _lock = threading.Lock()

    def __init__(self, stream: BinaryIO | None = None) -> None:
        self._stream = stream if stream is not None else sys.stdout.buffer

    def send(self, batch: Batch) -> None:
        data = _batch_bytes(batch)
        with self._lock:
            self._stream.write(data)
            self._stream.flush()

    def close(self) -> None:
        with self._lock:
            self._stream.flush()


class JsonlFileTransport:
    """Appends one candidate a line to a file; the file is flushed after every batch."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("ab")
        self._lock = threading.Lock()

    def send(self, batch: Batch) -> None:
        data = _batch_bytes(batch)
        with self._lock:
            self._file.write(data)
            self._file.flush()

    def close(self) -> None:
        with self._lock:
            if not self._file.closed:
                self._file.close()


class NullTransport:
    """Accepts every batch and keeps nothing: for load experiments on the detection side."""

    def send(self, batch: Batch) -> None:
        return None

    def close(self) -> None:
        return None
