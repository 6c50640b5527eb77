"""Any partitioned source, made to end its stream when the process is asked to stop.

Ending the stream (rather than aborting) is what lets Bytewax run every `on_eof`: open batches
flush, the send path drains, and with recovery the final snapshot holds the exact position, so the
next run resumes right after the last frame read.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from bytewax.inputs import FixedPartitionedSource, StatefulSourcePartition

from domain.shutdown import Shutdown


class StoppableSource(FixedPartitionedSource[Any, Any]):
    def __init__(self, inner: FixedPartitionedSource[Any, Any], shutdown: Shutdown) -> None:
        self._inner = inner
        self._shutdown = shutdown

    def list_parts(self) -> list[str]:
        return self._inner.list_parts()

    def build_part(
        self, step_id: str, for_part: str, resume_state: Any | None
    ) -> StatefulSourcePartition[Any, Any]:
        return _StoppablePartition(
            self._inner.build_part(step_id, for_part, resume_state), self._shutdown
        )


class _StoppablePartition(StatefulSourcePartition[Any, Any]):
    def __init__(self, inner: StatefulSourcePartition[Any, Any], shutdown: Shutdown) -> None:
        self._inner = inner
        self._shutdown = shutdown

    def next_batch(self) -> Iterable[Any]:
        if self._shutdown.requested:
            raise StopIteration
        return self._inner.next_batch()

    def next_awake(self) -> datetime | None:
        # Once a stop is asked, poll at once instead of sleeping until the next scheduled frame.
        return None if self._shutdown.requested else self._inner.next_awake()

    def snapshot(self) -> Any:
        return self._inner.snapshot()

    def close(self) -> None:
        self._inner.close()
