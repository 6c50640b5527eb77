"""Any partitioned source, made to end its stream when the process is asked to stop.

This is the job's lifecycle, not an outside system, hence here with the rest of the process's
wiring: the signal handlers set the `Shutdown`, this wrapper turns it into the end of the stream.
Ending the stream (rather than aborting) is what lets Bytewax run every `on_eof`: open batches
flush, the send path drains, and with recovery the final snapshot holds the exact position, so the
next run resumes right after the last frame read.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from bytewax.inputs import FixedPartitionedSource, StatefulSourcePartition

from connectors._support.wrapped_source import WrappedPartition, WrappedSource
from domain.shutdown import Shutdown


class StoppableSource(WrappedSource[Any]):
    def __init__(self, inner: FixedPartitionedSource[Any, Any], shutdown: Shutdown) -> None:
        super().__init__(inner)
        self._shutdown = shutdown

    def wrap(self, part: StatefulSourcePartition[Any, Any]) -> _StoppablePartition:
        return _StoppablePartition(part, self._shutdown)


class _StoppablePartition(WrappedPartition[Any]):
    def __init__(self, inner: StatefulSourcePartition[Any, Any], shutdown: Shutdown) -> None:
        super().__init__(inner)
        self._shutdown = shutdown

    def next_batch(self) -> Iterable[Any]:
        if self._shutdown.requested:
            raise StopIteration
        return self._inner.next_batch()

    def next_awake(self) -> datetime | None:
        # Once a stop is asked, poll at once instead of sleeping until the next scheduled frame.
        return None if self._shutdown.requested else self._inner.next_awake()
