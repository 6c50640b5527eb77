"""A file that lines are appended to, shared by every worker of a process: the jsonl sink, the
dead-letter file and the record-mode file.

Each write is one `os.write` on a descriptor opened with O_APPEND, so workers and even several
processes can share one file without tearing lines. The file opens at `open()` (or the first
write) and `close()` may be called any number of times, by the step that owns it and by the
process's exit alike. `CountedLines` is the dead-letter and record-mode file: whole lines, each
batch one write, counted in a metric once written.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from prometheus_client import Counter


class AppendFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._closed = False
        self._lock = threading.Lock()

    def open(self) -> None:
        """Create the file (and its folder) if need be and open it for appending."""
        with self._lock:
            self._open_locked()

    def _open_locked(self) -> int:
        if self._closed:
            raise ValueError(f"{self.path} is closed")
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        return self._fd

    def write(self, data: bytes) -> None:
        with self._lock:
            os.write(self._open_locked(), data)

    def position(self) -> int:
        """Where the next write goes: the end of the file."""
        with self._lock:
            return os.lseek(self._open_locked(), 0, os.SEEK_END)

    def truncate_to(self, position: int) -> None:
        """Forget everything after `position` (the next write goes there)."""
        with self._lock:
            fd = self._open_locked()
            if position < os.lseek(fd, 0, os.SEEK_END):
                os.ftruncate(fd, position)

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


class CountedLines(AppendFile):
    """Lines appended one batch per write, each batch counted in `counter` once it is written."""

    def __init__(self, path: Path, counter: Counter) -> None:
        super().__init__(path)
        self._counter = counter

    def append_lines(self, lines: list[bytes]) -> None:
        """Write `lines` (without their newlines) in one write; nothing at all when empty."""
        if not lines:
            return
        self.write(b"".join(line + b"\n" for line in lines))
        self._counter.inc(len(lines))
