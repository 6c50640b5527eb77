"""Filters: the opt-in hard rules that reject a launch before it is scored.

Every filter is off by default, so with default settings every launch passes (contract:
"Filters are opt-in"), and then the step costs two attribute tests per launch.

Stateless rules (`LaunchRules`), checked in this order, the first that fails names the reason:

- ``creator_denied``: the creator is in ``creator_deny``;
- ``name_pattern`` / ``symbol_pattern``: a regex of ``name_patterns`` /
  ``symbol_patterns`` matches somewhere in the name / symbol (``re.search``; a launch
  without a name or symbol matches nothing);
- ``initial_buy_unknown``: a band bound is set but the launch does not say its initial buy;
- ``initial_buy_below_band`` / ``initial_buy_above_band``: outside
  [``min_initial_buy_sol``, ``max_initial_buy_sol``], bounds included.

Then the stateful rule (`FilterLogic`): ``serial_launcher`` rejects a creator's launch when that
creator already launched ``serial_max_launches`` times within the last
``serial_window_s`` seconds of chain time (slot x 0.4 s, never wall-clock, so a replay at any
speed rejects the same launches). Launches without a creator are never limited.

The step takes a `FilterSettings` (the configuration's ``filter_*`` fields, validated there).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

import bytewax.operators as op
from bytewax.dataflow import operator
from bytewax.operators import KeyedStream, StatefulLogic

from domain.metrics import Metrics
from domain.models import SLOT_SECONDS, Launch

__all__ = [
    "REJECT_REASONS",
    "SERIAL_CREATOR_CAPACITY",
    "FilterLogic",
    "FilterSettings",
    "FilterState",
    "LaunchRules",
    "filter_launches",
]

#: Every reason a launch can be rejected for, as the ``reason`` label of
#: ``sniffer_candidates_rejected_total``.
REJECT_REASONS = (
    "creator_denied",
    "name_pattern",
    "symbol_pattern",
    "initial_buy_unknown",
    "initial_buy_below_band",
    "initial_buy_above_band",
    "serial_launcher",
)


#: How many creators the serial-launcher rule tracks at most; the least recently active one is
#: forgotten first (it is also the one whose launches most likely left the window already).
SERIAL_CREATOR_CAPACITY = 100_000


@dataclass(frozen=True, slots=True)
class FilterSettings:
    """What the filter step needs to know; every rule is off by default."""

    creator_deny: frozenset[str] = frozenset()
    name_patterns: tuple[str, ...] = ()
    symbol_patterns: tuple[str, ...] = ()
    min_initial_buy_sol: float | None = None
    max_initial_buy_sol: float | None = None
    #: 0 turns the serial-launcher rule off.
    serial_max_launches: int = 0
    serial_window_s: float = 3 * 3600.0


class LaunchRules:
    """The stateless filters of the settings, compiled once."""

    __slots__ = ("_deny", "_max_buy", "_min_buy", "_name_res", "_symbol_res", "active")

    def __init__(self, settings: FilterSettings) -> None:
        self._deny = settings.creator_deny
        self._name_res = tuple(re.compile(p) for p in settings.name_patterns)
        self._symbol_res = tuple(re.compile(p) for p in settings.symbol_patterns)
        self._min_buy = settings.min_initial_buy_sol
        self._max_buy = settings.max_initial_buy_sol
        #: False when no stateless filter is configured: `reject_reason` would always say None.
        self.active = bool(
            self._deny
            or self._name_res
            or self._symbol_res
            or self._min_buy is not None
            or self._max_buy is not None
        )

    def reject_reason(self, launch: Launch) -> str | None:
        """The first rule `launch` breaks, or None when it passes them all."""
        if launch.creator is not None and launch.creator in self._deny:
            return "creator_denied"
        if launch.name is not None and any(r.search(launch.name) for r in self._name_res):
            return "name_pattern"
        if launch.symbol is not None and any(r.search(launch.symbol) for r in self._symbol_res):
            return "symbol_pattern"
        if self._min_buy is not None or self._max_buy is not None:
            buy = launch.initial_buy_sol
            if buy is None:
                return "initial_buy_unknown"
            if self._min_buy is not None and buy < self._min_buy:
                return "initial_buy_below_band"
            if self._max_buy is not None and buy > self._max_buy:
                return "initial_buy_above_band"
        return None


@dataclass(frozen=True, slots=True)
class FilterState:
    """The serial-launcher history: recoverable state of the filter step.

    ``creators`` holds, least recently active first, each creator with the slots of their newest
    launches (at most ``serial_max_launches + 1``, oldest first); ``newest_slot`` is the
    newest slot the step has seen.
    """

    creators: tuple[tuple[str, tuple[int, ...]], ...] = ()
    newest_slot: int | None = None


class FilterLogic(StatefulLogic[Launch, Launch, FilterState]):
    """Apply `LaunchRules`, then the serial-launcher limit; count each rejection by reason.

    The serial history stays small: only a creator's newest ``max + 1`` launches can decide
    whether the next one is beyond the limit, and a creator whose newest launch left the window
    is forgotten. ``creator_capacity`` is a hard bound on top (least recently active first).
    """

    def __init__(
        self,
        settings: FilterSettings,
        metrics: Metrics,
        state: FilterState | None = None,
        *,
        creator_capacity: int = SERIAL_CREATOR_CAPACITY,
    ) -> None:
        if creator_capacity <= 0:
            raise ValueError(f"creator_capacity={creator_capacity} must be > 0")
        self._rules = LaunchRules(settings)
        self._serial_max = settings.serial_max_launches
        self._window_slots = settings.serial_window_s / SLOT_SECONDS
        self._creator_capacity = creator_capacity
        # Children looked up once (a `labels()` call takes a lock); this also makes every reason's
        # series exist from the start, so a dashboard shows 0 rather than "no data".
        self._metrics = metrics
        self._rejected = {r: metrics.candidates_rejected.labels(r) for r in REJECT_REASONS}
        state = state if state is not None else FilterState()
        # Values are tuples, so a snapshot shares them instead of copying each one.
        self._history: OrderedDict[str, tuple[int, ...]] = OrderedDict(state.creators)
        self._newest_slot = state.newest_slot
        while len(self._history) > creator_capacity:
            self._history.popitem(last=False)

    def on_item(self, value: Launch) -> tuple[Iterable[Launch], bool]:
        reason = self._rules.reject_reason(value) if self._rules.active else None
        # A launch rejected by a stateless rule still counts toward its creator's history, and so
        # does one rejected as serial: the limit is about how often a creator launches on chain,
        # not about what this job let through. Counting only accepted launches would let a
        # creator who launches nonstop through again each time an accepted launch ages out.
        if self._serial_max and value.creator is not None:
            recent = self._record(value.creator, value.slot)
            if reason is None and recent > self._serial_max:
                reason = "serial_launcher"
        if reason is not None:
            # The frame's `tx_seen` is counted here, with its outcome: see operators/detection.py.
            with self._metrics.lock:
                self._metrics.tx_seen.inc()
                self._rejected[reason].inc()
            return ((), StatefulLogic.RETAIN)
        return ((value,), StatefulLogic.RETAIN)

    def _record(self, creator: str, slot: int | None) -> int:
        """Add a launch to `creator`'s history; return their launches within the window."""
        history = self._history
        slots = history.pop(creator, ())  # re-inserted below, as the most recently active
        if slot is None or (slots and slot < slots[-1]):
            # No slot: no time has passed since the creator's last launch (or, for their first,
            # the launch happens at the newest slot seen). A slot older than the creator's last
            # (two partitions interleave) is treated the same way, so slots stay sorted.
            slot = slots[-1] if slots else (self._newest_slot or 0)
        elif self._newest_slot is None or slot > self._newest_slot:
            self._newest_slot = slot
        # Only the newest `max + 1` launches can decide whether this one is beyond the limit.
        slots = (*slots[-self._serial_max :], slot)
        history[creator] = slots
        if len(history) > self._creator_capacity:
            history.popitem(last=False)
        recent = len(slots) - bisect_right(slots, slot - self._window_slots)
        self._forget_quiet_creators()
        return recent

    def _forget_quiet_creators(self) -> None:
        """Drop creators, least recently active first, whose newest launch left the window."""
        if self._newest_slot is None:
            return
        horizon = self._newest_slot - self._window_slots
        history = self._history
        while history:
            oldest = next(iter(history))
            if history[oldest][-1] > horizon:
                break
            del history[oldest]

    def snapshot(self) -> FilterState:
        return FilterState(tuple(self._history.items()), self._newest_slot)


@operator
def filter_launches(
    step_id: str, up: KeyedStream[Launch], settings: FilterSettings, metrics: Metrics
) -> KeyedStream[Launch]:
    """Drop launches the configured filters reject, counting each in `candidates_rejected`.

    The serial-launcher history is per key: key every launch with one constant key so a creator
    is limited across the whole cluster.
    """

    def builder(resume_state: FilterState | None) -> FilterLogic:
        return FilterLogic(settings, metrics, resume_state)

    return op.stateful("stateful", up, builder)
