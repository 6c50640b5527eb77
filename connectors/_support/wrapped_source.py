"""A source that hands every call on to another one, for wrappers that change one thing (record
mode tees the frames, the graceful stop ends the stream): each overrides only what it changes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Generic, TypeVar

from bytewax.inputs import FixedPartitionedSource, StatefulSourcePartition

X = TypeVar("X")


class WrappedSource(FixedPartitionedSource[X, Any], Generic[X]):
    def __init__(self, inner: FixedPartitionedSource[X, Any]) -> None:
        self._inner = inner

    def wrap(self, part: StatefulSourcePartition[X, Any]) -> StatefulSourcePartition[X, Any]:
        """The partition this wrapper makes of one of the inner source's."""
        raise NotImplementedError

    def list_parts(self) -> list[str]:
        return self._inner.list_parts()

    def build_part(
        self, step_id: str, for_part: str, resume_state: Any | None
    ) -> StatefulSourcePartition[X, Any]:
        return self.wrap(self._inner.build_part(step_id, for_part, resume_state))


class WrappedPartition(StatefulSourcePartition[X, Any], Generic[X]):
    def __init__(self, inner: StatefulSourcePartition[X, Any]) -> None:
        self._inner = inner

    def next_batch(self) -> Iterable[X]:
        return self._inner.next_batch()

    def next_awake(self) -> datetime | None:
        return self._inner.next_awake()

    def snapshot(self) -> Any:
        return self._inner.snapshot()

    def close(self) -> None:
        self._inner.close()
