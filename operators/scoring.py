"""Scoring: every launch that passed the filters becomes a candidate with a score and a priority.

The score, in [0, 1] (defaults in brackets; `age` counts chain time, slot x 0.4 s):

```
graduation = the launch is a pool (event "pool") for a mint this step saw created
             (event "create") earlier
creator    = 1 for a graduation and for any pump_swap pool (a graduation's pool is opened by a
             migration account shared by all graduations, not a serial launcher); else
             1 / (1 + sum of 0.5 ** (age_s / ema_half_life_s [3600]) over the creator's
             earlier launches)                                  (0.5 when the creator is unknown)
buy        = min(initial_buy_sol / buy_full_sol [2.0], 1)  (0.5 when the buy is unknown)
launchpad  = 1.0 for a graduation; else LAUNCHPAD_SCORES[launchpad]:
             pump_swap 0.8, raydium_amm_v4 0.8, raydium_cpmm 0.7, meteora_damm_v2 0.7 (pools);
             pump_fun, raydium_launchlab, meteora_dbc, moonshot 0.5 (fresh creates);
             a launchpad of neither list 0.7 for a pool, 0.5 for a create
score      = round(0.4 * creator + 0.3 * buy + 0.3 * launchpad, 4)
priority   = HIGH if score >= high_threshold [0.6] else LOW
```

Why the launchpad term: a pool comes with liquidity, and a graduation has survived its bonding
curve, which most creates never do (pump.fun graduates well under 1 % of its creates). PumpSwap
pools are nearly all graduations even when the create came before the job started, and a new
Raydium AMM v4 pool is rare and funded; CPMM and DAMM v2 pools are graduation targets too but
also opened by hand for any token. Creates all start neutral: creator and buy tell them apart.

The sum in `creator` is the creator's launch-rate EMA expressed as a decayed launch count: a
creator's first launch scores 1, a second one right after it 0.5, and a creator quiet for many
half-lives counts as fresh again. The EMA runs on the chain's clock, never the wall clock, so the
same launches get the same scores at any replay speed; a launch without a slot counts as no time
passed since the creator's previous one. At most ``creator_capacity`` creators are
remembered; the least recently active one is forgotten first (and would score as fresh). The
created mints are bounded the same way: at most ``creator_capacity`` of them, the oldest forgotten
first (a pool for a forgotten mint scores as a plain pool). Both are in the step's snapshot.

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
    CREATE,
    HIGH,
    LOW,
    POOL,
    PUMP_SWAP,
    RAYDIUM_AMM_V4,
    SLOT_SECONDS,
    Candidate,
    Launch,
)
from solwire.launchpads import REGISTRY

__all__ = [
    "BUY_WEIGHT",
    "CREATE_SCORE",
    "CREATOR_WEIGHT",
    "GRADUATION_SCORE",
    "LAUNCHPAD_SCORES",
    "LAUNCHPAD_WEIGHT",
    "NEUTRAL",
    "POOL_SCORE",
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

#: The launchpad term of a graduation: a pool for a mint this step saw created.
GRADUATION_SCORE = 1.0
#: The launchpad term of a pool and of a fresh create, unless `LAUNCHPAD_SCORES` says otherwise.
POOL_SCORE = 0.7
CREATE_SCORE = 0.5
#: Pools nearly always graduations (PumpSwap) or rare and funded (Raydium AMM v4) weigh more.
_OVERRIDES = {PUMP_SWAP: 0.8, RAYDIUM_AMM_V4: 0.8}
#: The launchpad term of every registry launchpad (module doc), when the launch is no graduation.
LAUNCHPAD_SCORES: Mapping[str, float] = {
    lp.name: _OVERRIDES.get(lp.name, POOL_SCORE if lp.event == POOL else CREATE_SCORE)
    for lp in REGISTRY
}


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
    #: Mints seen created (event "create"), oldest first: a later pool for one is a graduation.
    created: tuple[str, ...] = ()


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
        # insertion-ordered set: the oldest created mint is the first key
        self._created: dict[str, None] = dict.fromkeys(state.created[-self._capacity :])

    def on_item(self, value: Launch) -> tuple[Iterable[Candidate], bool]:
        graduation = self._graduation(value)
        # A graduation's pool creator is a migration account: one key behind every graduation,
        # which the EMA would take for the busiest serial launcher. PumpSwap pools are
        # graduations even when the create came before this job started.
        if graduation or value.launchpad == PUMP_SWAP:
            creator = 1.0
        elif value.creator is None:
            creator = NEUTRAL
        else:
            creator = self._creator_term(value)
        buy = value.initial_buy_sol
        buy_term = NEUTRAL if buy is None else min(max(buy, 0.0) / self._buy_full_sol, 1.0)
        if graduation:
            launchpad = GRADUATION_SCORE
        else:
            default = POOL_SCORE if value.event == POOL else CREATE_SCORE
            launchpad = LAUNCHPAD_SCORES.get(value.launchpad, default)
        score = round(
            CREATOR_WEIGHT * creator + BUY_WEIGHT * buy_term + LAUNCHPAD_WEIGHT * launchpad, 4
        )
        priority = HIGH if score >= self._high_threshold else LOW
        return ((Candidate(value, score, priority),), StatefulLogic.RETAIN)

    def _graduation(self, launch: Launch) -> bool:
        """Whether `launch` is a pool for a mint seen created; remembers created mints."""
        mint = launch.mint
        if mint is None:
            return False
        if launch.event == POOL:
            return mint in self._created
        if launch.event == CREATE and mint not in self._created:
            if len(self._created) >= self._capacity:
                del self._created[next(iter(self._created))]
            self._created[mint] = None
        return False

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
        return ScoringState(tuple(self._creators.items()), self._newest_s, tuple(self._created))


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
