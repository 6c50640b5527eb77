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
    """Appends one candidate a line to a file; the file is flushed after every batch.

    It can tell its position and go back to one: with recovery, the send step keeps the position
    in its snapshot and truncates the file to it on resume, so candidates written after the
    snapshot (which the resumed run delivers again) are not in the file twice.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("ab")
        self._lock = threading.Lock()

    def position(self) -> int:
        with self._lock:
            return self._file.tell()

    def truncate_to(self, position: int) -> None:
        with self._lock:
            self._file.flush()
            if position < self._file.tell():
                self._file.truncate(position)
                self._file.seek(position)

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
