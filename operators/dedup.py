"""Dedup: the same signature, or the same (mint, event) pair, is never a candidate twice.

Duplicates are normal on Solana feeds (reconnect overlap, two sources side by side, a duplicate
subscription, forks at ``processed``), so the job deduplicates by signature, then by the pair of
mint and event: a token's ``create`` and, later, the ``pool`` it graduates to are two candidates,
but a second ``create`` of one mint (the same launch seen under another signature) is not. A launch
without a mint is deduplicated by signature only: a missing mint matches nothing. The flow keys
every launch with one constant key, so this step sees every launch of the cluster, whichever
partition or process decoded it, and one remembered set is enough to make dedup cluster-correct.

Several sources side by side: the first copy of a transaction wins; the step counts which source
that was (``sniffer_source_first_total{source}``) and, when a later copy of the same signature
arrives from another source, how much later it arrived (``sniffer_source_lag_seconds{source}``,
by the two frames' arrival times: the same clock when the sources run in one process; across
processes of a cluster, as good as their clocks agree). Only launches reach this step, so the race
is measured on the transactions that matter, not on every frame.

Memory is bounded: at most ``capacity`` signatures and ``capacity`` pairs are remembered, and the
oldest one is forgotten first. A duplicate does not refresh what is remembered: copies of one
launch arrive within seconds of each other, long before a capacity of thousands wraps around.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Iterable
from dataclasses import dataclass

import bytewax.operators as op
from bytewax.dataflow import operator
from bytewax.operators import KeyedStream, StatefulLogic

from domain.metrics import Metrics
from domain.models import CREATE, POOL, Launch

__all__ = ["DedupLogic", "DedupState", "dedup_launches", "pair_key"]


@dataclass(frozen=True, slots=True)
class DedupState:
    """What dedup remembers, oldest first: the recoverable state of the step.

    A pair is ``"<event>:<mint>"`` (see `pair_key`)."""

    signatures: tuple[str, ...] = ()
    pairs: tuple[str, ...] = ()
    #: (signature, source, arrived_at) of the recent first copies, for the lag of later ones.
    firsts: tuple[tuple[str, str, float], ...] = ()


def pair_key(event: str, mint: str) -> str:
    """How a (mint, event) pair is remembered: one short string (a mint, base58, has no colon)."""
    return f"{event}:{mint}"


def _resumed_pairs(values: Iterable[str]) -> Iterable[str]:
    # A snapshot from before pairs were remembered holds bare mints in this place, each of which
    # blocked that mint under every event: keep that promise for both events.
    for value in values:
        if ":" in value:
            yield value
        else:
            yield pair_key(CREATE, value)
            yield pair_key(POOL, value)


class _RecentSet:
    """A set that remembers at most `capacity` values, forgetting the oldest first.

    A set for membership plus a deque for age: both O(1) per value. (Evicting from the front of a
    plain insertion-ordered dict with ``next(iter(d))`` looks O(1) but is not: each call scans
    past every slot deleted before it, so it grows slower the longer the job runs.)
    """

    __slots__ = ("_capacity", "_members", "_order")

    def __init__(self, capacity: int, values: Iterable[str] = ()) -> None:
        self._capacity = capacity
        # On resume with a smaller capacity than the snapshot was taken with, keep the newest.
        self._order: deque[str] = deque(values, maxlen=capacity)
        self._members = set(self._order)

    def __contains__(self, value: str) -> bool:
        return value in self._members

    def add(self, value: str) -> None:
        if len(self._order) == self._capacity:
            self._members.discard(self._order[0])  # the deque drops it on append
        self._order.append(value)
        self._members.add(value)

    def snapshot(self) -> tuple[str, ...]:
        return tuple(self._order)


class DedupLogic(StatefulLogic[Launch, Launch, DedupState]):
    """Pass a launch through unless its signature, or its (mint, event) pair when the mint is
    known, was seen before."""

    def __init__(self, capacity: int, metrics: Metrics, state: DedupState | None = None) -> None:
        state = state if state is not None else DedupState()
        self._signatures = _RecentSet(capacity, state.signatures)
        self._pairs = _RecentSet(capacity, _resumed_pairs(state.pairs))
        self._capacity = capacity
        # A snapshot from before sources raced has no `firsts`.
        self._firsts: OrderedDict[str, tuple[str, float]] = OrderedDict(
            (signature, (source, arrived_at))
            for signature, source, arrived_at in getattr(state, "firsts", ())[-capacity:]
        )
        self._metrics = metrics

    def on_item(self, value: Launch) -> tuple[Iterable[Launch], bool]:
        mint = value.mint
        pair = pair_key(value.event, mint) if mint is not None else None
        if value.signature in self._signatures or (pair is not None and pair in self._pairs):
            # The frame's `tx_seen` is counted here, with its outcome, in one step: see
            # operators/detection.py.
            with self._metrics.lock:
                self._metrics.tx_seen.inc()
                self._metrics.duplicates.inc()
            self._note_late_copy(value)
            return ((), StatefulLogic.RETAIN)
        self._signatures.add(value.signature)
        if pair is not None:
            self._pairs.add(pair)
        self._metrics.source_first.labels(value.source or "unnamed").inc()
        self._firsts[value.signature] = (value.source, value.arrived_at)
        if len(self._firsts) > self._capacity:
            self._firsts.popitem(last=False)
        return ((value,), StatefulLogic.RETAIN)

    def _note_late_copy(self, value: Launch) -> None:
        first = self._firsts.get(value.signature)
        if first is None or first[0] == value.source:
            return  # another transaction of the same token, or the same source twice
        lag = max(0.0, value.arrived_at - first[1])
        self._metrics.source_lag_seconds.labels(value.source or "unnamed").observe(lag)

    def snapshot(self) -> DedupState:
        firsts = tuple((sig, source, at) for sig, (source, at) in self._firsts.items())
        return DedupState(self._signatures.snapshot(), self._pairs.snapshot(), firsts)


@operator
def dedup_launches(
    step_id: str, up: KeyedStream[Launch], capacity: int, metrics: Metrics
) -> KeyedStream[Launch]:
    """Drop every launch whose signature or (mint, event) pair was seen before, counting it in
    `duplicates`.

    Dedup is per key: key every launch with one constant key for cluster-wide dedup.
    `capacity` bounds how many signatures and how many pairs (each) are remembered.
    """

    def builder(resume_state: DedupState | None) -> DedupLogic:
        return DedupLogic(capacity, metrics, resume_state)

    return op.stateful("stateful", up, builder)
