"""The records that travel through the dataflow.

Plain slotted dataclasses, not pydantic models: one of these is built per frame on the hot path,
and a validated model costs several times more than the decode itself.

Times are seconds since the Unix epoch (``time.time()``), so they mean the same thing in every
process of a cluster and survive pickling into recovery snapshots.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import orjson

# The launchpads the detector knows (the ``launchpad`` output field) and the two events are chain
# knowledge, defined in solwire's registry; re-exported because every record here is labelled
# with them.
from solwire.launchpads import CREATE as CREATE
from solwire.launchpads import NAMES
from solwire.launchpads import POOL as POOL
from solwire.programs import PUMP_FUN as PUMP_FUN
from solwire.programs import PUMP_SWAP as PUMP_SWAP
from solwire.programs import RAYDIUM_AMM_V4 as RAYDIUM_AMM_V4

#: Chain time per slot, in seconds. Anything that must be reproducible run after run counts time
#: as slots x this, never in wall-clock seconds.
SLOT_SECONDS = 0.4

#: Every ``launchpad`` value a candidate can carry.
LAUNCHPADS = NAMES

HIGH = "HIGH"
LOW = "LOW"
PRIORITIES = (HIGH, LOW)

#: Where the send path writes the dead-letter lines of candidates it gives up on (dropped,
#: stale, failed): one call per group of lines, each line a complete JSON record.
DeadLetterWriter = Callable[[list[bytes]], None]


@dataclass(slots=True)  # not frozen: a frozen dataclass takes 2.5x longer to build, per frame
class RawFrame:
    """One frame as a source received it, before any parsing (treat it as immutable).

    ``payload`` is the JSON text exactly as it came off the wire or out of the file.
    ``arrived_at`` is when the source received it: staleness and detect-to-send latency count
    from here.
    """

    payload: bytes | str
    arrived_at: float
    #: The name of the source that received it (the ``source`` output field).
    source: str = ""


@dataclass(frozen=True, slots=True)
class Launch:
    """A successful launch found in one transaction, before dedup, filters and scoring.

    Fields the frame does not carry are ``None`` (a logs-only Raydium frame has no mint).
    ``slot`` is the chain's clock: anything that must be reproducible run after run (the
    per-creator launch-rate EMA, the serial-launcher window) counts time in slots, never in
    wall-clock seconds.
    """

    signature: str
    slot: int | None
    launchpad: str
    mint: str | None
    creator: str | None
    name: str | None
    symbol: str | None
    uri: str | None
    initial_buy_sol: float | None
    arrived_at: float
    detected_at: float
    #: ``create`` (a token born on a launchpad) or ``pool`` (a liquidity pool opened for one).
    event: str = CREATE
    #: What the token is priced in, None when the frame does not tell.
    quote_mint: str | None = None
    #: The front end behind a shared launchpad program (LaunchLab, DBC), when known.
    platform: str | None = None
    #: The source that delivered the frame.
    source: str = ""
    #: True when the logs were cut ("Log truncated") before everything could be read.
    truncated: bool = False
    #: Fields this kind of frame carries for this launchpad that could not be read here.
    partial: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class InvalidFrame:
    """A frame that could not be understood: counted in ``tx_invalid`` under ``reason``."""

    reason: str
    detail: str
    payload: str
    arrived_at: float

    def dead_letter_line(self) -> bytes:
        """One JSON line for the dead-letter file."""
        return orjson.dumps(
            {
                "kind": "invalid_frame",
                "reason": self.reason,
                "detail": self.detail,
                "arrived_at": _iso(self.arrived_at),
                "frame": self.payload,
            }
        )


@dataclass(frozen=True, slots=True)
class Candidate:
    """A launch that passed dedup and filters, with its score and priority: the job's output."""

    launch: Launch
    score: float
    priority: str

    def to_json(self) -> dict[str, Any]:
        """The contract's output object, keys in the contract's order."""
        launch = self.launch
        return {
            "signature": launch.signature,
            "slot": launch.slot,
            "launchpad": launch.launchpad,
            "event": launch.event,
            "mint": launch.mint,
            "quote_mint": launch.quote_mint,
            "platform": launch.platform,
            "creator": launch.creator,
            "name": launch.name,
            "symbol": launch.symbol,
            "uri": launch.uri,
            "initial_buy_sol": launch.initial_buy_sol,
            "priority": self.priority,
            "score": self.score,
            "source": launch.source or None,
            "detected_at": _iso(launch.detected_at),
        }

    def json_line(self) -> bytes:
        """The candidate as one line of JSON, without the trailing newline."""
        return orjson.dumps(self.to_json())

    def dead_letter_line(self, reason: str) -> bytes:
        """One JSON line for the dead-letter file, for a candidate that could not be delivered."""
        return orjson.dumps({"kind": "candidate", "reason": reason, "candidate": self.to_json()})


@dataclass(frozen=True, slots=True)
class Batch:
    """Candidates of one priority handed to the send path together."""

    priority: str
    candidates: tuple[Candidate, ...]
    #: When the first candidate entered the batch (wall clock, seconds).
    opened_at: float


def _iso(ts: float) -> str:
    """RFC 3339 UTC with microseconds and a ``Z``, as in the contract's example."""
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
