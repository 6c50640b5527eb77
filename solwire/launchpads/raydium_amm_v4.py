"""Raydium AMM v4: the legacy pool program (LaunchLab's ``migrate_to_amm`` still targets it).

Program ``675kPX9MHTjS2zt1qfr1NYHuzeLXfQM9H24wFSUt1Mp8``; not an Anchor program. A pool opens
with ``initialize2`` (instruction tag 1), which logs
``Program log: initialize2: InitializeInstruction2 { nonce: .., open_time: .., ... }`` and a
``ray_log`` InitLog; neither names a mint, so a logs-only frame is a candidate without one.

Accounts of ``initialize2``: pool 4, coin mint 8, pc mint 9, the creator's wallet 17. Coin and pc
are not "token" and "quote" roles: the token is the side that is not a known quote mint (wrapped
SOL, USDC, USDT); with no known quote on exactly one side the mint is left unknown rather than
guessed. ``initial_buy_sol`` stays None: initialize2 deposits pool liquidity, it is not a buy.
"""

from __future__ import annotations

from solwire.launchpads._base import (
    POOL,
    FoundLaunch,
    InstructionContext,
    Launchpad,
    LogLaunch,
)
from solwire.logs import INITIALIZE2_PREFIX
from solwire.programs import RAYDIUM_AMM_V4, RAYDIUM_AMM_V4_PROGRAM
from solwire.quotes import token_and_quote

__all__ = ["INITIALIZE2_TAG", "LAUNCHPAD"]

INITIALIZE2_TAG = 1
_COIN_MINT, _PC_MINT, _CREATOR = 8, 9, 17


def decode_logs(launch: LogLaunch) -> FoundLaunch:
    return FoundLaunch(launchpad=RAYDIUM_AMM_V4, event=POOL, truncated=launch.truncated)


def decode_instruction(context: InstructionContext) -> FoundLaunch | None:
    instruction = context.instruction
    data = instruction.data
    if (
        data is None
        or data[:1] != bytes((INITIALIZE2_TAG,))
        or len(instruction.accounts) <= _CREATOR
    ):
        return None  # another Raydium instruction (a swap), or not one this layout fits
    coin, pc = instruction.account(_COIN_MINT), instruction.account(_PC_MINT)
    mint, quote = token_and_quote(coin, pc)
    creator = instruction.account(_CREATOR)
    partial = tuple(
        field
        for field, value in (("mint", coin), ("quote_mint", pc), ("creator", creator))
        if not value
    )
    return FoundLaunch(
        launchpad=RAYDIUM_AMM_V4,
        event=POOL,
        mint=mint,
        quote_mint=quote,
        creator=creator,
        partial=partial,
    )


LAUNCHPAD = Launchpad(
    name=RAYDIUM_AMM_V4,
    program=RAYDIUM_AMM_V4_PROGRAM,
    event=POOL,
    launch_lines=frozenset(),
    launch_prefixes=(INITIALIZE2_PREFIX,),
    decode_instruction=decode_instruction,
    decode_logs=decode_logs,
)
