"""Record mode: any source's raw frames teed to `record_path`, one frame a line, in the format
the replay source plays back as is.

A frame that spans lines (pretty-printed JSON) is compacted; one that is not JSON at all has its
line breaks replaced by spaces, so it stays one line and is still counted invalid on replay, as
it was live. Lines are appended with O_APPEND in one write per batch, so partitions on several
workers can share the file.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from bytewax.inputs import FixedPartitionedSource, StatefulSourcePartition

from domain.metrics import Metrics
from domain.models import RawFrame


def as_line(payload: bytes | str) -> bytes:
    """The frame as one line (without the newline)."""
    data = payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else payload
    if b"\n" not in data and b"\r" not in data:
        return data
    try:
        return orjson.dumps(orjson.loads(data))
    except orjson.JSONDecodeError:
        return data.replace(b"\r", b" ").replace(b"\n", b" ")


class FrameRecorder:
    """Appends frames to one file, shared by every partition of the process."""

    def __init__(self, path: Path, metrics: Metrics) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._lock = threading.Lock()
        self._metrics = metrics

    def record(self, frames: list[RawFrame]) -> None:
        if not frames:
            return
        data = b"".join(as_line(frame.payload) + b"\n" for frame in frames)
        with self._lock:
            os.write(self._fd, data)
        self._metrics.frames_recorded.inc(len(frames))


class RecordingSource(FixedPartitionedSource[RawFrame, Any]):
    """`inner`, with every frame it emits also written to the recorder."""

    def __init__(self, inner: FixedPartitionedSource[RawFrame, Any], recorder: FrameRecorder):
        self._inner = inner
        self._recorder = recorder

    def list_parts(self) -> list[str]:
        return self._inner.list_parts()

    def build_part(
        self, step_id: str, for_part: str, resume_state: Any | None
    ) -> StatefulSourcePartition[RawFrame, Any]:
        inner = self._inner.build_part(step_id, for_part, resume_state)
        return _RecordingPartition(inner, self._recorder)


class _RecordingPartition(StatefulSourcePartition[RawFrame, Any]):
    def __init__(
        self, inner: StatefulSourcePartition[RawFrame, Any], recorder: FrameRecorder
    ) -> None:
        self._inner = inner
        self._recorder = recorder

    def next_batch(self) -> Iterable[RawFrame]:
        frames = list(self._inner.next_batch())
        self._recorder.record(frames)
        return frames

    def next_awake(self) -> datetime | None:
        return self._inner.next_awake()

    def snapshot(self) -> Any:
        return self._inner.snapshot()

    def close(self) -> None:
        self._inner.close()
