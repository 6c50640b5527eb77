"""Record mode: any source's raw frames teed to `record_path`, one frame a line, in the format
the replay source plays back as is.

A frame that spans lines (pretty-printed JSON) is compacted; one that is not JSON at all has its
line breaks replaced by spaces, so it stays one line and is still counted invalid on replay, as
it was live. One write per batch (see `AppendFile`), so partitions on several workers can share
the file.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson
from bytewax.inputs import FixedPartitionedSource, StatefulSourcePartition

from connectors._support.append_file import CountedLines
from connectors._support.wrapped_source import WrappedPartition, WrappedSource
from domain.metrics import Metrics
from domain.models import RawFrame
from solwire.txmodel import Transaction


def as_line(payload: bytes | str | Transaction) -> bytes:
    """The frame as one line (without the newline)."""
    if isinstance(payload, Transaction):
        # A binary source's ready-made transaction knows its recording format (the yellowstone
        # source's: the update's canonical JSON).
        line: bytes = payload.record_line()  # type: ignore[attr-defined]
        return line
    data = payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else payload
    if b"\n" not in data and b"\r" not in data:
        return data
    try:
        return orjson.dumps(orjson.loads(data))
    except orjson.JSONDecodeError:
        return data.replace(b"\r", b" ").replace(b"\n", b" ")


class FrameRecorder(CountedLines):
    """Appends frames to one file, shared by every partition of the process."""

    def __init__(self, path: Path, metrics: Metrics) -> None:
        super().__init__(path, metrics.frames_recorded)

    def record(self, frames: list[RawFrame]) -> None:
        self.append_lines([as_line(frame.payload) for frame in frames])


class RecordingSource(WrappedSource[RawFrame]):
    """`inner`, with every frame it emits also written to the recorder."""

    def __init__(self, inner: FixedPartitionedSource[RawFrame, Any], recorder: FrameRecorder):
        super().__init__(inner)
        self._recorder = recorder

    def wrap(self, part: StatefulSourcePartition[RawFrame, Any]) -> _RecordingPartition:
        return _RecordingPartition(part, self._recorder)


class _RecordingPartition(WrappedPartition[RawFrame]):
    def __init__(
        self, inner: StatefulSourcePartition[RawFrame, Any], recorder: FrameRecorder
    ) -> None:
        super().__init__(inner)
        self._recorder = recorder

    def next_batch(self) -> Iterable[RawFrame]:
        frames = list(self._inner.next_batch())
        self._recorder.record(frames)
        return frames
