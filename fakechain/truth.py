"""What the synthetic stream holds: the frame kinds, and the ground truth of each frame.

Tests and benchmarks compare what the job reports against this truth: a `LaunchTruth` is the
`FoundLaunch` a perfect decoder reads from the frame's logs, plus what only the generator knows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from solwire.launchpads import FoundLaunch

# --- frame kinds -----------------------------------------------------------------------------

PUMP_CREATE = "pump_create"
PUMP_CREATE_V2 = "pump_create_v2"
RAYDIUM_INIT = "raydium_init"
TRUNCATED_LAUNCH = "truncated_launch"
FAILED_LAUNCH = "failed_launch"
DUPLICATE = "duplicate"
PUMP_TRADE = "pump_trade"
RAYDIUM_SWAP = "raydium_swap"

#: Successful launches: ``err`` is null and the logs hold a launch instruction. Every frame of
#: these kinds is a launch the detector should find (a truncated one without its fields).
LAUNCH_KINDS = frozenset({PUMP_CREATE, PUMP_CREATE_V2, RAYDIUM_INIT, TRUNCATED_LAUNCH})
KINDS = (
    PUMP_CREATE_V2,
    PUMP_CREATE,
    RAYDIUM_INIT,
    TRUNCATED_LAUNCH,
    FAILED_LAUNCH,
    DUPLICATE,
    PUMP_TRADE,
    RAYDIUM_SWAP,
)

# --- ground truth ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LaunchTruth(FoundLaunch):
    """What a launch frame shows, as a perfect decoder of its logs would read it.

    Fields the logs do not carry are None: a Raydium ``initialize2`` seen through
    ``logsSubscribe`` has no mint, creator, name or buy; a truncated launch lost its
    CreateEvent and its Buy. For a failed launch, `initial_buy_sol` is None (the buy failed).
    The fields after `FoundLaunch`'s are what only the generator knows.
    """

    #: The launch instruction: ``Create``, ``CreateV2`` or ``initialize2``.
    instruction: str = ""
    bonding_curve: str | None = None
    serial_launcher: bool = False


@dataclass(frozen=True, slots=True)
class SyntheticTx:
    """One synthetic frame and the truth about it."""

    index: int
    kind: str
    payload: bytes
    signature: str
    slot: int
    err: Any
    #: The launch the logs show: set for launches, failed launches, and duplicates of either.
    launch: LaunchTruth | None = None
    #: For a duplicate: the index of the frame it repeats (never itself a duplicate).
    duplicate_of: int | None = None

    @property
    def is_launch(self) -> bool:
        """A successful launch delivered for the first time: the detector must report it."""
        return self.kind in LAUNCH_KINDS
