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
#: A PumpSwap ``CreatePool`` for a pump.fun mint created earlier in the same partition.
GRADUATION = "graduation"
#: A launch written by a registry module's own encoder (`Launchpad.synthetic`): LaunchLab,
#: Meteora DBC, Moonshot, CPMM, DAMM v2, ... (`LaunchTruth.launchpad` says which).
MODULE_LAUNCH = "module_launch"

#: Successful launches: ``err`` is null and the logs hold a launch instruction. Every frame of
#: these kinds is a launch the detector should find (a truncated one without its fields).
LAUNCH_KINDS = frozenset(
    {PUMP_CREATE, PUMP_CREATE_V2, RAYDIUM_INIT, TRUNCATED_LAUNCH, GRADUATION, MODULE_LAUNCH}
)
KINDS = (
    PUMP_CREATE_V2,
    PUMP_CREATE,
    RAYDIUM_INIT,
    TRUNCATED_LAUNCH,
    GRADUATION,
    MODULE_LAUNCH,
    FAILED_LAUNCH,
    DUPLICATE,
    PUMP_TRADE,
    RAYDIUM_SWAP,
)

# --- ground truth ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LaunchTruth(FoundLaunch):
    """What a launch frame shows, as a perfect decoder of its logs would read it.

    Its `FoundLaunch` fields (launchpad, event, mint, ...) are exactly what a correct decoder
    reports from the frame's logs alone: a Raydium ``initialize2`` seen through ``logsSubscribe``
    has no mint, creator, name or buy; a truncated launch lost its CreateEvent and its Buy; a
    launch written by a registry module is its encoder's ``from_logs``. For a failed pump.fun
    launch, `initial_buy_sol` is None (the buy failed). The fields after `FoundLaunch`'s are what
    only the generator knows.
    """

    #: The launch instruction as its launch line names it (``Create``, ``CreateV2``,
    #: ``initialize2``, ``CreatePool``, ...).
    instruction: str = ""
    bonding_curve: str | None = None
    serial_launcher: bool = False
    #: The mint as the generator drew it, even where the logs do not show it (base58).
    drawn_mint: str | None = None
    #: For a graduation: the frame index of the pump.fun create whose mint it pools.
    graduates: int | None = None


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
