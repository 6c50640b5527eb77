"""Scoring: every launch that passed the filters becomes a candidate with a score and a priority.

The score, in [0, 1] (defaults in brackets; `age` counts chain time, slot x 0.4 s):

```
creator   = 1 / (1 + sum of 0.5 ** (age_s / ema_half_life_s [3600]) over the creator's
            earlier launches)                                   (0.5 when the creator is unknown;
            1 for pump_swap: a graduation happens once per token, and its pool creator is a
            migration account shared by all graduations, not a serial launcher)
buy       = min(initial_buy_sol / buy_full_sol [2.0], 1)  (0.5 when the buy is unknown)
launchpad = pump_swap 1.0 (a graduation), raydium_amm_v4 0.8, pump_fun 0.5, any other 0.5
score     = round(0.4 * creator + 0.3 * buy + 0.3 * launchpad, 4)
priority  = HIGH if score >= high_threshold [0.6] else LOW
```

The sum in `creator` is the creator's launch-rate EMA expressed as a decayed launch count: a
creator's first launch scores 1, a second one right after it 0.5, and a creator quiet for many
half-lives counts as fresh again. The EMA runs on the chain's clock, never the wall clock, so the
same launches get the same scores at any replay speed; a launch without a slot counts as no time
passed since the creator's previous one. At most ``creator_capacity`` creators are
remembered; the least recently active one is forgotten first (and would score as fresh).

The step takes a `ScoringSettings` (the configuration's ``score_*`` fields, validated there).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import bytewax.operators as op
from bytewax.dataflow import operator
from bytewax.operators import KeyedStream, StatefulLogic

from domain.models import (
    HIGH,
    LOW,
    PUMP_FUN,
    PUMP_SWAP,
    RAYDIUM_AMM_V4,
    SLOT_SECONDS,
    Candidate,
    Launch,
)

__all__ = [
    "BUY_WEIGHT",
    "CREATOR_WEIGHT",
    "LAUNCHPAD_SCORES",
    "LAUNCHPAD_WEIGHT",
    "NEUTRAL",
    "ScoringLogic",
    "ScoringSettings",
    "ScoringState",
    "score_launches",
]

CREATOR_WEIGHT = 0.4
BUY_WEIGHT = 0.3
LAUNCHPAD_WEIGHT = 0.3

#: The value of a term whose input the launch does not carry.
NEUTRAL = 0.5

#: A graduation (pump.fun token moving to its AMM) has survived its bonding curve: highest. A new
#: Raydium pool comes with liquidity. A fresh pump.fun launch is the most common and the riskiest.
LAUNCHPAD_SCORES: Mapping[str, float] = {PUMP_SWAP: 1.0, RAYDIUM_AMM_V4: 0.8, PUMP_FUN: 0.5}


@dataclass(frozen=True, slots=True)
class ScoringSettings:
    """What the scoring step needs to know (the defaults are the configuration's)."""

    high_threshold: float = 0.6
    ema_half_life_s: float = 3600.0
    buy_full_sol: float = 2.0
    creator_capacity: int = 100_000


@dataclass(frozen=True, slots=True)
class ScoringState:
    """Recoverable state of the scoring step.

    ``creators`` holds, least recently active first, ``(creator, (activity, last_seen_s))``:
    the decayed launch count including the last launch, and that launch's chain time in seconds.
    ``newest_s`` is the newest chain time the step has seen.
    """

    creators: tuple[tuple[str, tuple[float, float]], ...] = ()
    newest_s: float | None = None


class ScoringLogic(StatefulLogic[Launch, Candidate, ScoringState]):
    """Score each launch and turn it into a `Candidate` (counted in `candidates_detected` when it
    enters the send path, see operators/delivery.py)."""

    def __init__(
        self, settings: ScoringSettings | None = None, state: ScoringState | None = None
    ) -> None:
        settings = settings if settings is not None else ScoringSettings()
        self._half_life_s = settings.ema_half_life_s
        self._buy_full_sol = settings.buy_full_sol
        self._high_threshold = settings.high_threshold
        self._capacity = settings.creator_capacity
        state = state if state is not None else ScoringState()
        # creator -> (activity, last_seen_s); values are tuples so a snapshot shares them safely.
        self._creators: OrderedDict[str, tuple[float, float]] = OrderedDict(state.creators)
        self._newest_s = state.newest_s
        while len(self._creators) > self._capacity:
            self._creators.popitem(last=False)

    def on_item(self, value: Launch) -> tuple[Iterable[Candidate], bool]:
        # A PumpSwap pool's creator is, for a graduation, pump.fun's migration account: one key
        # behind every graduation, which the EMA would take for the busiest serial launcher.
        if value.launchpad == PUMP_SWAP:
            creator = 1.0
        elif value.creator is None:
            creator = NEUTRAL
        else:
            creator = self._creator_term(value)
        buy = value.initial_buy_sol
        buy_term = NEUTRAL if buy is None else min(max(buy, 0.0) / self._buy_full_sol, 1.0)
        launchpad = LAUNCHPAD_SCORES.get(value.launchpad, NEUTRAL)
        score = round(
            CREATOR_WEIGHT * creator + BUY_WEIGHT * buy_term + LAUNCHPAD_WEIGHT * launchpad, 4
        )
        priority = HIGH if score >= self._high_threshold else LOW
        return ((Candidate(value, score, priority),), StatefulLogic.RETAIN)

    def _creator_term(self, launch: Launch) -> float:
        """1 / (1 + the creator's decayed count of earlier launches); records this launch."""
        creator = launch.creator
        assert creator is not None
        now = None if launch.slot is None else launch.slot * SLOT_SECONDS
        if now is not None and (self._newest_s is None or now > self._newest_s):
            self._newest_s = now
        previous = self._creators.get(creator)
        if previous is None:
            earlier = 0.0
            seen_at = now if now is not None else (self._newest_s or 0.0)
            if len(self._creators) >= self._capacity:
                self._creators.popitem(last=False)
        else:
            activity, last_seen = previous
            # No slot, or a slot older than the creator's last one (partitions interleave):
            # no time has passed, so the EMA neither decays nor moves back in time.
            if now is None or now <= last_seen:
                earlier, seen_at = activity, last_seen
            else:
                earlier = activity * math.pow(0.5, (now - last_seen) / self._half_life_s)
                seen_at = now
            self._creators.move_to_end(creator)
        self._creators[creator] = (earlier + 1.0, seen_at)
        return 1.0 / (1.0 + earlier)

    def snapshot(self) -> ScoringState:
        return ScoringState(tuple(self._creators.items()), self._newest_s)


@operator
def score_launches(
    step_id: str, up: KeyedStream[Launch], settings: ScoringSettings
) -> KeyedStream[Candidate]:
    """Turn every launch into a scored `Candidate`.

    The per-creator EMA is per key: key every launch with one constant key so a creator's
    launches are counted across the whole cluster.
    """

    def builder(resume_state: ScoringState | None) -> ScoringLogic:
        return ScoringLogic(settings, resume_state)

    return op.stateful("stateful", up, builder)
