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

from connectors._support.append_file import AppendFile
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
    """Appends one candidate a line to a file, one unbuffered write per batch.

    It can tell its position and go back to one: with recovery, the send step keeps the position
    in its snapshot and truncates the file to it on resume, so candidates written after the
    snapshot (which the resumed run delivers again) are not in the file twice.
    """

    def __init__(self, path: Path) -> None:
        self._file = AppendFile(path)

    def open(self) -> None:
        self._file.open()

    def position(self) -> int:
        return self._file.position()

    def truncate_to(self, position: int) -> None:
        self._file.truncate_to(position)

    def send(self, batch: Batch) -> None:
        self._file.write(_batch_bytes(batch))

    @property
    def closed(self) -> bool:
        return self._file.closed

    def close(self) -> None:
        self._file.close()


class NullTransport:
    """Accepts every batch and keeps nothing: for load experiments on the detection side."""

    def open(self) -> None:
        return None

    def send(self, batch: Batch) -> None:
        return None

    def close(self) -> None:
        return None
