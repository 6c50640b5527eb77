"""Raydium CPMM (cp-swap): the pool LaunchLab's ``migrate_to_cpswap`` and Boop graduate into,
and a common target for manual pools.

Pool instructions (Anchor; discriminators computed, they match the shared docs' table):

================================  ========  ===================================
instruction                       accounts  creator / token_0_mint / token_1_mint
================================  ========  ===================================
``initialize``                    20        0 / 4 / 5
``initialize_with_permission``    21        1 / 5 / 6 (payer 0)
================================  ========  ===================================

``initialize`` (afaf6d1f0d989bed) is also Raydium LaunchLab's, pump.fun's and Boop's
instruction of that name: detection dispatches by program, so this module only sees cp-swap's.
Its log line is exactly ``Program log: Instruction: Initialize`` (so the token programs'
``InitializeMint2`` / ``InitializeAccount3`` never match), followed by ``liquidity:<L>,
lock_lp_amount:100, vault_0_amount:<A>,vault_1_amount:<B>``. There is no create event, so a
logs-only frame holds no mint: every field None, none partial.

The token side: the mints are sorted by key (token_0 < token_1), so either can be the new
token; it is the side opposite a known quote mint, and only when exactly one side is one
(`solwire.quotes`).
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass

from solwire.base58 import b58encode
from solwire.launchpads._base import (
    POOL,
    AnchorInstruction,
    FoundLaunch,
    InstructionContext,
    Launchpad,
    LogLaunch,
    SyntheticLaunch,
    TokenDraw,
)
from solwire.logs import Invoke, program_log
from solwire.programs import (
    ASSOCIATED_TOKEN_PROGRAM,
    COMPUTE_BUDGET_PROGRAM,
    SYSTEM_PROGRAM,
    TOKEN_PROGRAM,
)
from solwire.quotes import sorted_pair_roles
from solwire.txmodel import Instruction

__all__ = ["LAUNCHPAD", "NAME", "PROGRAM", "encode_instruction_data", "liquidity_line", "synthetic"]

NAME = "raydium_cpmm"
PROGRAM = "CPMMoo8L3F4NbTegBCKVNunggL7H1ZpdTHKxQB5qKP1C"
#: Constant accounts of every pool creation (mainnet): the vault and LP-mint authority PDA, the
#: first fee tier (amm_config index 0) and the pool-creation fee receiver.
AUTHORITY = "GpMZbSM2GgvTKHJirzeGfMFoaZ8UR2X7F4v8vHTvxFbL"
AMM_CONFIG = "D4FPEruKEHrG5TenZ2mpDGEfu1iUvTiqBxvpU8HLBvC2"
CREATE_POOL_FEE = "DNXgeM9EiiaAbaWvwjHj9fQQLAX5ZsfHyvmYUNRAdNC8"
RENT_SYSVAR = "SysvarRent111111111111111111111111111111111"
#: The LP tokens the program keeps locked at creation.
LOCK_LP_AMOUNT = 100


@dataclass(frozen=True, slots=True)
class _Variant(AnchorInstruction):
    creator: int
    token_0: int

    @property
    def token_1(self) -> int:
        return self.token_0 + 1


INITIALIZE = _Variant("initialize", "Initialize", 20, 0, 4)
WITH_PERMISSION = _Variant("initialize_with_permission", "InitializeWithPermission", 21, 1, 5)
VARIANTS = (INITIALIZE, WITH_PERMISSION)
_BY_DISCRIMINATOR = {variant.discriminator: variant for variant in VARIANTS}


def decode_instruction(context: InstructionContext) -> FoundLaunch | None:
    instruction = context.instruction
    data = instruction.data
    if data is None:
        return None
    variant = _BY_DISCRIMINATOR.get(data[:8])
    if variant is None:
        return None
    if len(instruction.accounts) >= variant.accounts:
        token_0 = instruction.account(variant.token_0)
        token_1 = instruction.account(variant.token_1)
        creator = instruction.account(variant.creator)
    else:  # the frame lost accounts: no position is trusted
        token_0 = token_1 = creator = None
    mint, quote_mint, partial = sorted_pair_roles(token_0, token_1)
    if creator is None:
        partial = (*partial, "creator")
    return FoundLaunch(
        launchpad=NAME,
        event=POOL,
        mint=mint,
        quote_mint=quote_mint,
        creator=creator,
        partial=partial,
    )


def decode_logs(launch: LogLaunch) -> FoundLaunch | None:
    # No event and no mint in the logs (the liquidity line has amounts only).
    return FoundLaunch(launchpad=NAME, event=POOL, truncated=launch.truncated)


# --- encoding (the synthetic source) ---------------------------------------------------------


def encode_instruction_data(
    variant: _Variant, init_amount_0: int, init_amount_1: int, open_time: int
) -> bytes:
    """``init_amount_0, init_amount_1, open_time`` (u64 each), plus ``creator_fee_on`` (u8
    enum, 0 = both tokens) for ``initialize_with_permission``."""
    body = struct.pack("<QQQ", init_amount_0, init_amount_1, open_time)
    if variant is WITH_PERMISSION:
        body += b"\x00"
    return variant.discriminator + body


def liquidity_line(amount_0: int, amount_1: int) -> str:
    """The line the program prints once the vaults are funded."""
    liquidity = math.isqrt(amount_0 * amount_1)
    return program_log(
        f"liquidity:{liquidity}, lock_lp_amount:{LOCK_LP_AMOUNT}, "
        f"vault_0_amount:{amount_0},vault_1_amount:{amount_1}"
    )


_SYSTEM = Invoke(SYSTEM_PROGRAM, static=True)
_COMPUTE_BUDGET = Invoke(COMPUTE_BUDGET_PROGRAM, static=True)


def _token(message: str, cost: int) -> Invoke:
    return Invoke(TOKEN_PROGRAM, (program_log(message),), cost)


_ATA_CREATE = Invoke(
    ASSOCIATED_TOKEN_PROGRAM,
    (
        program_log("Create"),
        Invoke(TOKEN_PROGRAM, (program_log("Instruction: GetAccountDataSize"),), 1595),
        _SYSTEM,
        program_log("Initialize the associated token account"),
        _token("Instruction: InitializeImmutableOwner", 1405),
        _token("Instruction: InitializeAccount3", 4214),
    ),
    14626,
)


def _steps(amount_0: int, amount_1: int) -> tuple[str | Invoke, ...]:
    """Pool state, vaults, LP mint and observation accounts; the creator's deposits; the
    liquidity line; the creator's LP account and LP tokens; the creation fee."""
    return (
        _SYSTEM,
        _SYSTEM,
        _token("Instruction: InitializeAccount3", 4214),
        _SYSTEM,
        _token("Instruction: InitializeAccount3", 4214),
        _SYSTEM,
        _token("Instruction: InitializeMint2", 2780),
        _SYSTEM,
        _token("Instruction: TransferChecked", 6200),
        _token("Instruction: TransferChecked", 6200),
        liquidity_line(amount_0, amount_1),
        _ATA_CREATE,
        _token("Instruction: MintTo", 4492),
        _SYSTEM,
    )


def synthetic(draw: TokenDraw) -> SyntheticLaunch:
    """A CPMM pool for ``draw.mint`` quoted in ``draw.quote_mint``, mints in key order:
    compute budget, then ``initialize`` (or, 1 in 4, ``initialize_with_permission``)."""
    variant = WITH_PERMISSION if draw.variation % 4 == 3 else INITIALIZE
    token_amount = 10**14 + draw.variation
    quote_amount = draw.initial_buy_lamports or 10**9
    # Sorted by the key's bytes, which is the order the program requires.
    sides = sorted([(draw.mint, token_amount), (draw.quote_mint, quote_amount)])
    (mint_0, amount_0), (mint_1, amount_1) = sides
    creator = b58encode(draw.creator)
    head = [creator, creator] if variant is WITH_PERMISSION else [creator]
    pool_state = b58encode(draw.keys())
    others = [b58encode(draw.keys()) for _ in range(6)]  # lp mint, 3 creator accounts, 2 vaults
    observation = b58encode(draw.keys())
    permission = [b58encode(draw.keys())] if variant is WITH_PERMISSION else []
    tail = [TOKEN_PROGRAM, TOKEN_PROGRAM, TOKEN_PROGRAM, ASSOCIATED_TOKEN_PROGRAM, SYSTEM_PROGRAM]
    if variant is INITIALIZE:
        tail.append(RENT_SYSVAR)
    accounts = [
        *head,
        AMM_CONFIG,
        AUTHORITY,
        pool_state,
        b58encode(mint_0),
        b58encode(mint_1),
        *others,
        CREATE_POOL_FEE,
        observation,
        *permission,
        *tail,
    ]
    data = encode_instruction_data(variant, amount_0, amount_1, draw.timestamp)
    units = 250_000 + 1_000 * (draw.variation % 50)
    instructions = (
        Instruction(COMPUTE_BUDGET_PROGRAM, (), b"\x02" + struct.pack("<I", units)),
        Instruction(COMPUTE_BUDGET_PROGRAM, (), b"\x03" + struct.pack("<Q", 25_000)),
        Instruction(PROGRAM, accounts, data, 1),
    )
    launch = Invoke(
        PROGRAM, (variant.line, *_steps(amount_0, amount_1)), 48_000 + draw.variation % 5_000
    )
    mint, quote_mint, partial = sorted_pair_roles(b58encode(mint_0), b58encode(mint_1))
    return SyntheticLaunch(
        invokes=(_COMPUTE_BUDGET, _COMPUTE_BUDGET, launch),
        instructions=instructions,
        from_logs=FoundLaunch(launchpad=NAME, event=POOL),
        from_instruction=FoundLaunch(
            launchpad=NAME,
            event=POOL,
            mint=mint,
            quote_mint=quote_mint,
            creator=creator,
            partial=partial,
        ),
    )


LAUNCHPAD = Launchpad(
    name=NAME,
    program=PROGRAM,
    event=POOL,
    launch_lines=frozenset(variant.line for variant in VARIANTS),
    decode_instruction=decode_instruction,
    decode_logs=decode_logs,
    synthetic=synthetic,
)
