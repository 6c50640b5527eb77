"""Several sources as one: users run two providers side by side to miss less.

The merged source's partitions are every source's partitions, each named ``<source>/<part>``,
so Bytewax spreads them over the workers and processes like any others and recovers each from its
own resume state. Nothing is merged here in the sense of choosing: every frame of every source
goes on, stamped with the name of the source that received it (`RawFrame.source`); the dedup step
downstream keeps the first copy of a transaction and measures how late the others were.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bytewax.inputs import FixedPartitionedSource, StatefulSourcePartition

from domain.models import RawFrame

__all__ = ["MergedSource"]

_SEPARATOR = "/"


class MergedSource(FixedPartitionedSource[RawFrame, Any]):
    """The partitions of every source in `sources` (name -> source), under one input step."""

    def __init__(self, sources: Mapping[str, FixedPartitionedSource[RawFrame, Any]]) -> None:
        if not sources:
            raise ValueError("a merged source needs at least one source")
        self.sources = dict(sources)

    def list_parts(self) -> list[str]:
        return [
            f"{name}{_SEPARATOR}{part}"
            for name, source in self.sources.items()
            for part in source.list_parts()
        ]

    def build_part(
        self, step_id: str, for_part: str, resume_state: Any | None
    ) -> StatefulSourcePartition[RawFrame, Any]:
        name, _, part = for_part.partition(_SEPARATOR)
        return self.sources[name].build_part(step_id, part, resume_state)
