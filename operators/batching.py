"""Batching: candidates of one priority gathered into `Batch`es for the send path.

A batch is flushed when it holds ``batch_size`` candidates, or when its FIRST candidate has
waited ``timeout`` (contract: ``batch_timeout_ms``), whichever comes first, and at the end of the
stream. The deadline is set when a batch opens and later candidates do not move it; that is why
this is the project's own logic and not Bytewax's ``collect``, whose timeout restarts on every
item. Candidates keep their arrival order inside a batch and from one batch to the next.

Each key has its own open batch. The open batch and its deadline are part of the recoverable
state, so a candidate waiting in a batch survives a crash and restart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import bytewax.operators as op
from bytewax.dataflow import operator
from bytewax.operators import KeyedStream, StatefulLogic

from domain.models import Batch, Candidate

__all__ = ["BatchLogic", "BatchState", "batch_candidates", "utc_now"]


def utc_now() -> datetime:
    """The default clock: timezone-aware UTC, as Bytewax's timers require."""
    return datetime.now(timezone.utc)


@dataclass(frozen=True, slots=True)
class BatchState:
    """The open batch, if any: its candidates in arrival order, when it opened, its deadline."""

    candidates: tuple[Candidate, ...] = ()
    opened_at: datetime | None = None
    deadline: datetime | None = None


class BatchLogic(StatefulLogic[Candidate, Batch, BatchState]):
    """Gather candidates into batches of `batch_size`, or fewer once the first has waited `timeout`.

    `clock` must return timezone-aware datetimes. Bytewax decides when to call `on_notify` with
    its own UTC clock; `on_notify` still checks `clock`, so a test clock decides what is flushed.
    The logic asks to be discarded whenever no batch is left open: an idle key holds no state.
    """

    def __init__(
        self,
        priority: str,
        batch_size: int,
        timeout: timedelta,
        clock: Callable[[], datetime] = utc_now,
        state: BatchState | None = None,
    ) -> None:
        self._priority = priority
        self._batch_size = batch_size
        self._timeout = timeout
        self._clock = clock
        state = state if state is not None else BatchState()
        self._candidates = list(state.candidates)
        self._opened_at = state.opened_at
        self._deadline = state.deadline

    def on_item(self, value: Candidate) -> tuple[Iterable[Batch], bool]:
        if self._opened_at is None:
            now = self._clock()
            if now.tzinfo is None:
                raise ValueError(f"the batching clock returned {now!r}; it must be tz-aware UTC")
            self._opened_at = now
            self._deadline = now + self._timeout
        self._candidates.append(value)
        if len(self._candidates) >= self._batch_size:
            return self._flush()
        return ((), StatefulLogic.RETAIN)

    def on_notify(self) -> tuple[Iterable[Batch], bool]:
        if self._deadline is not None and self._clock() >= self._deadline:
            return self._flush()
        return ((), self._candidates == [])

    def on_eof(self) -> tuple[Iterable[Batch], bool]:
        return self._flush()

    def notify_at(self) -> datetime | None:
        return self._deadline

    def snapshot(self) -> BatchState:
        return BatchState(tuple(self._candidates), self._opened_at, self._deadline)

    def _flush(self) -> tuple[Iterable[Batch], bool]:
        """Emit the open batch, if any, and close it; discard the logic, nothing is left open."""
        batches: tuple[Batch, ...] = ()
        if self._candidates and self._opened_at is not None:
            batches = (Batch(self._priority, tuple(self._candidates), self._opened_at.timestamp()),)
        self._candidates = []
        self._opened_at = None
        self._deadline = None
        return (batches, StatefulLogic.DISCARD)


@operator
def batch_candidates(
    step_id: str,
    up: KeyedStream[Candidate],
    priority: str,
    batch_size: int,
    timeout: timedelta,
    clock: Callable[[], datetime] = utc_now,
) -> KeyedStream[Batch]:
    """Gather each key's candidates into `Batch`es of `priority`.

    A batch is emitted when it holds `batch_size` candidates, when its first candidate has waited
    `timeout` by `clock` (tz-aware UTC), or at the end of the stream.
    """

    def builder(resume_state: BatchState | None) -> BatchLogic:
        return BatchLogic(priority, batch_size, timeout, clock, resume_state)

    return op.stateful("stateful", up, builder)
