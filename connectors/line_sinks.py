"""Candidates as JSON lines on a local stream: `stdout`, a `jsonl` file, or nowhere (`null`).

Every worker thread of a process may share one of these, so each write of a batch takes a lock
and goes out as one `write` call: lines from two workers never interleave mid-line. The jsonl file
opens at `open()` (or the first write) and `close()` may be called any number of times.
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

    def open(self) -> None:
        """Nothing to open: standard output is the process's."""

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
        self.path = path
        self._file: BinaryIO | None = None
        self._closed = False
        self._lock = threading.Lock()

    def open(self) -> None:
        with self._lock:
            self._opened()

    def _opened(self) -> BinaryIO:
        if self._closed:
            raise ValueError(f"{self.path} is closed")
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("ab")
        return self._file

    def position(self) -> int:
        with self._lock:
            return self._opened().tell()

    def truncate_to(self, position: int) -> None:
        with self._lock:
            file = self._opened()
            file.flush()
            if position < file.tell():
                file.truncate(position)
                file.seek(position)

    def send(self, batch: Batch) -> None:
        data = _batch_bytes(batch)
        with self._lock:
            file = self._opened()
            file.write(data)
            file.flush()

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._file is not None:
                self._file.close()
                self._file = None


class NullTransport:
    """Accepts every batch and keeps nothing: for load experiments on the detection side."""

    def open(self) -> None:
        return None

    def send(self, batch: Batch) -> None:
        return None

    def close(self) -> None:
        return None
