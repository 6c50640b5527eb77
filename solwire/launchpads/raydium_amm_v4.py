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

import struct

from solwire.base58 import b58encode
from solwire.events import encode_ray_init_log
from solwire.launchpads._base import (
    POOL,
    FoundLaunch,
    InstructionContext,
    Launchpad,
    LogLaunch,
    SyntheticLaunch,
    TokenDraw,
)
from solwire.logs import INITIALIZE2_PREFIX, Invoke, initialize2_line, program_log, ray_log_line
from solwire.programs import RAYDIUM_AMM_V4, RAYDIUM_AMM_V4_PROGRAM, SYSTEM_PROGRAM, TOKEN_PROGRAM
from solwire.quotes import token_and_quote
from solwire.txmodel import Instruction

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


# --- the synthetic source's encoder -------------------------------------------------------------


def synthetic(draw: TokenDraw) -> SyntheticLaunch:
    """An ``initialize2`` opening a pool of the draw's mint (coin) against its quote (pc): the
    argument print, the ``ray_log`` InitLog, the token and system programs it invokes."""
    keys = [b58encode(draw.keys()) for _ in range(16)]
    mint, quote, creator = b58encode(draw.mint), b58encode(draw.quote_mint), b58encode(draw.creator)
    pc_amount = 80 * 10**9 + draw.variation % 10**9
    coin_amount = 200_000_000 * 10**6
    arguments = initialize2_line(254, 0, pc_amount, coin_amount)
    init_log = encode_ray_init_log(
        0, 9, 6, 1_000_000, 1_000_000, pc_amount, coin_amount, draw.keys()
    )
    accounts = [*keys[:8], mint, quote, *keys[8:15], creator, keys[15], SYSTEM_PROGRAM, RENT]
    data = struct.pack("<BBQQQ", INITIALIZE2_TAG, 254, 0, pc_amount, coin_amount)
    invoke = Invoke(
        RAYDIUM_AMM_V4_PROGRAM,
        (
            arguments,
            Invoke(SYSTEM_PROGRAM),
            Invoke(TOKEN_PROGRAM, (program_log("Instruction: InitializeAccount"),), 3_000),
            Invoke(TOKEN_PROGRAM, (program_log("Instruction: MintTo"),), 4_500),
            ray_log_line(init_log),
        ),
        90_000 + draw.variation % 4000,
    )
    token, quote_mint = token_and_quote(mint, quote)
    instructions = (
        Instruction(RAYDIUM_AMM_V4_PROGRAM, accounts, data, 1),
        Instruction(SYSTEM_PROGRAM, [creator, keys[4]], bytes(12), 2),
        Instruction(TOKEN_PROGRAM, [keys[6], mint], bytes((1,)), 2),
        Instruction(TOKEN_PROGRAM, [keys[5], keys[7]], bytes((7,)), 2),
    )
    return SyntheticLaunch(
        (invoke,),
        instructions,
        FoundLaunch(launchpad=RAYDIUM_AMM_V4, event=POOL),
        FoundLaunch(
            launchpad=RAYDIUM_AMM_V4, event=POOL, mint=token, quote_mint=quote_mint, creator=creator
        ),
    )


RENT = "SysvarRent111111111111111111111111111111111"


LAUNCHPAD = Launchpad(
    name=RAYDIUM_AMM_V4,
    program=RAYDIUM_AMM_V4_PROGRAM,
    event=POOL,
    launch_lines=frozenset(),
    launch_prefixes=(INITIALIZE2_PREFIX,),
    decode_instruction=decode_instruction,
    decode_logs=decode_logs,
    synthetic=synthetic,
)
