"""Meteora DAMM v2 (cp-amm): where DBC tokens graduate, and where pools are also opened directly.

Pool instructions (Anchor; discriminators computed, they match the shared docs' table):

============================================  ========  ==========================
instruction                                   accounts  creator / token_a / token_b
============================================  ========  ==========================
``initialize_pool``                           20        0 / 8 / 9
``initialize_customizable_pool``              19        0 / 7 / 8
``initialize_pool_with_dynamic_config``       21        0 / 9 / 10
============================================  ========  ==========================

``initialize_pool`` shares its discriminator with Orca Whirlpool's instruction of the same name,
and the ``EvtInitializePool`` event shares its with DBC's (different layouts): detection
dispatches by program, so this module only ever sees cp-amm's own.

The event is emitted by ``emit_cpi!`` only (an inner instruction of the program to itself):
pool, token_a_mint, token_b_mint, creator, payer, ... — a second witness of the two mints and the
creator in a full frame. A logs-only frame holds just the ``Instruction:`` line: every field
None, none partial.

The token side: a/b carry no role (the creator picks the order), so the new token is the side
opposite a known quote mint, and only when exactly one side is one (`solwire.quotes`).
"""

from __future__ import annotations

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
    anchor_event,
)
from solwire.logs import Invoke, program_log
from solwire.programs import (
    COMPUTE_BUDGET_PROGRAM,
    EVENT_CPI_TAG,
    SYSTEM_PROGRAM,
    TOKEN_2022_PROGRAM,
    TOKEN_PROGRAM,
)
from solwire.quotes import sorted_pair_roles
from solwire.txmodel import Instruction

__all__ = ["LAUNCHPAD", "NAME", "PROGRAM", "encode_event", "encode_instruction_data", "synthetic"]

NAME = "meteora_damm_v2"
PROGRAM = "cpamdpZCGKUy5JxQXB4dcpGPiikHawvSWAd6mEn1sGG"
#: The program's constant PDAs: the pool authority and Anchor's ``["__event_authority"]``.
POOL_AUTHORITY = "HLnpSz9h2S4hiLQ43rnSD9XkcUThA7B8hQMKmDaiTLcC"
EVENT_AUTHORITY = "3rmHSu74h1ZcmAisVcWerTCiRDQbUrBKmcwptYGjHfet"

EVT_INITIALIZE_POOL = anchor_event("EvtInitializePool")
# The event's leading keys: pool, token_a_mint, token_b_mint, creator (32 bytes each).
_EVENT_KEYS = 4 * 32
_CREATOR = 0


@dataclass(frozen=True, slots=True)
class _Variant(AnchorInstruction):
    token_a: int

    @property
    def token_b(self) -> int:
        return self.token_a + 1


INITIALIZE_POOL = _Variant("initialize_pool", "InitializePool", 20, 8)
CUSTOMIZABLE = _Variant("initialize_customizable_pool", "InitializeCustomizablePool", 19, 7)
DYNAMIC_CONFIG = _Variant(
    "initialize_pool_with_dynamic_config", "InitializePoolWithDynamicConfig", 21, 9
)
VARIANTS = (INITIALIZE_POOL, CUSTOMIZABLE, DYNAMIC_CONFIG)
_BY_DISCRIMINATOR = {variant.discriminator: variant for variant in VARIANTS}


# --- decoding --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Event:
    token_a: str
    token_b: str
    creator: str


def _read_event(events: list[bytes]) -> _Event | None:
    """The pool's ``EvtInitializePool`` among the instruction's self-CPI events; None when absent
    or too short to hold its keys."""
    for event in events:
        if event[:8] == EVT_INITIALIZE_POOL and len(event) >= 8 + _EVENT_KEYS:
            return _Event(
                token_a=b58encode(event[40:72]),
                token_b=b58encode(event[72:104]),
                creator=b58encode(event[104:136]),
            )
    return None


def _agree(account: str | None, event: str | None) -> str | None:
    """One field from its two witnesses: either alone, or both when they agree; None when
    neither was read or they disagree."""
    if account is None:
        return event
    if event is None or event == account:
        return account
    return None


def decode_instruction(context: InstructionContext) -> FoundLaunch | None:
    instruction = context.instruction
    data = instruction.data
    if data is None:
        return None
    variant = _BY_DISCRIMINATOR.get(data[:8])
    if variant is None:
        return None
    # Fewer accounts than the layout has: the frame lost some, so no position is trusted.
    complete = len(instruction.accounts) >= variant.accounts

    def role(index: int) -> str | None:
        return instruction.account(index) if complete else None

    event = _read_event(context.cpi_events())
    token_a = _agree(role(variant.token_a), event.token_a if event else None)
    token_b = _agree(role(variant.token_b), event.token_b if event else None)
    creator = _agree(role(_CREATOR), event.creator if event else None)
    mint, quote_mint, partial = sorted_pair_roles(token_a, token_b)
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
    # The event is CPI-only and the program logs no mint: a logs-only frame never has one (no
    # field partial). A full frame lands here when its pool instruction was unreadable; its
    # self-CPI event may still be there, and names both mints and the creator.
    event = _read_event(list(launch.cpi_events))
    if event is None:
        return FoundLaunch(launchpad=NAME, event=POOL, truncated=launch.truncated)
    mint, quote_mint, partial = sorted_pair_roles(event.token_a, event.token_b)
    return FoundLaunch(
        launchpad=NAME,
        event=POOL,
        mint=mint,
        quote_mint=quote_mint,
        creator=event.creator,
        truncated=launch.truncated,
        partial=partial,
    )


# --- encoding (the synthetic source) ---------------------------------------------------------

_U128 = struct.Struct("<QQ")


def _u128(value: int) -> bytes:
    return _U128.pack(value & (2**64 - 1), value >> 64)


def _option_u64(value: int | None) -> bytes:
    return b"\x00" if value is None else b"\x01" + struct.pack("<Q", value)


def _pool_fees(cliff_fee_numerator: int) -> bytes:
    """``PoolFeeParameters``: a fixed base fee (27-byte base fee, 0 periods), protocol / partner
    / referral percents, no dynamic fee."""
    base_fee = struct.pack("<QHQQB", cliff_fee_numerator, 0, 0, 0, 0)
    return base_fee + bytes((20, 0, 20)) + b"\x00"


def encode_instruction_data(
    variant: _Variant, *, liquidity: int, sqrt_price: int, activation_point: int | None
) -> bytes:
    """The variant's arguments: ``InitializePoolParameters`` for ``initialize_pool``, the
    customizable parameters (fees, price range, alpha vault, activation) for the other two."""
    if variant is INITIALIZE_POOL:
        body = _u128(liquidity) + _u128(sqrt_price) + _option_u64(activation_point)
    else:
        body = (
            _pool_fees(2_500_000)
            + _u128(4295048016)  # sqrt_min_price: the program's minimum
            + _u128(79226673521066979257578248091)  # sqrt_max_price: its maximum
            + b"\x00"  # has_alpha_vault
            + _u128(liquidity)
            + _u128(sqrt_price)
            + bytes((1, 1))  # activation_type timestamp, collect_fee_mode quote only
            + _option_u64(activation_point)
        )
    return variant.discriminator + body


def encode_event(
    *,
    pool: bytes,
    token_a: bytes,
    token_b: bytes,
    creator: bytes,
    liquidity: int,
    sqrt_price: int,
    activation_point: int,
    amount_a: int,
    amount_b: int,
) -> bytes:
    """``EvtInitializePool`` of DAMM v2, discriminator first (without the CPI tag)."""
    return (
        EVT_INITIALIZE_POOL
        + pool
        + token_a
        + token_b
        + creator
        + creator  # payer
        + bytes(32)  # alpha_vault: none
        + _pool_fees(2_500_000)
        + _u128(4295048016)
        + _u128(79226673521066979257578248091)
        + bytes((1, 1))  # activation_type, collect_fee_mode
        + _u128(liquidity)
        + _u128(sqrt_price)
        # activation_point, token flags a/b, amounts a/b, total amounts a/b, pool_type
        + struct.pack("<QBBQQQQB", activation_point, 0, 0, *(amount_a, amount_b) * 2, 0)
    )


_SYSTEM = Invoke(SYSTEM_PROGRAM, static=True)
_COMPUTE_BUDGET = Invoke(COMPUTE_BUDGET_PROGRAM, static=True)


def _token(message: str, cost: int, program: str = TOKEN_PROGRAM) -> Invoke:
    return Invoke(program, (program_log(message),), cost)


#: What every variant invokes before its event: the position NFT (a Token-2022 mint with
#: metadata, minted to the creator), the pool and position accounts, two vaults, two deposits.
_STEPS: tuple[str | Invoke, ...] = (
    _SYSTEM,
    _token("MetadataPointerInstruction::Initialize", 925, TOKEN_2022_PROGRAM),
    _token("Instruction: InitializeMint2", 1772, TOKEN_2022_PROGRAM),
    _token("TokenMetadataInstruction: Initialize", 3514, TOKEN_2022_PROGRAM),
    _SYSTEM,
    _token("Instruction: InitializeImmutableOwner", 736, TOKEN_2022_PROGRAM),
    _token("Instruction: InitializeAccount3", 1969, TOKEN_2022_PROGRAM),
    _token("Instruction: MintTo", 1714, TOKEN_2022_PROGRAM),
    _token("Instruction: SetAuthority", 1044, TOKEN_2022_PROGRAM),
    _SYSTEM,
    _SYSTEM,
    _SYSTEM,
    _token("Instruction: InitializeAccount3", 4214),
    _SYSTEM,
    _token("Instruction: InitializeAccount3", 4214),
    _token("Instruction: TransferChecked", 6200),
    _token("Instruction: TransferChecked", 6200),
)


def _accounts(variant: _Variant, draw: TokenDraw, a: bytes, b: bytes, pool: bytes) -> list[str]:
    creator = b58encode(draw.creator)
    config = draw.platform_config if draw.platform_config is not None else draw.keys()
    nft = [b58encode(draw.keys()), b58encode(draw.keys())]  # position_nft_mint, its account
    if variant is INITIALIZE_POOL:
        middle = [b58encode(config), POOL_AUTHORITY]
    elif variant is CUSTOMIZABLE:
        middle = [POOL_AUTHORITY]
    else:
        middle = [b58encode(draw.keys()), b58encode(config), POOL_AUTHORITY]
    return [
        creator,
        *nft,
        creator,  # payer
        *middle,
        b58encode(pool),
        b58encode(draw.keys()),  # position
        b58encode(a),
        b58encode(b),
        *(b58encode(draw.keys()) for _ in range(4)),  # vaults a/b, payer's token a/b
        TOKEN_PROGRAM,
        TOKEN_PROGRAM,
        TOKEN_2022_PROGRAM,
        SYSTEM_PROGRAM,
        EVENT_AUTHORITY,
        PROGRAM,
    ]


def synthetic(draw: TokenDraw) -> SyntheticLaunch:
    """A DAMM v2 pool for ``draw.mint`` quoted in ``draw.quote_mint``: two compute-budget
    instructions, then the pool creation with its self-CPI event. The variant and which side
    is token_a follow ``draw.variation``; a DBC graduation (dynamic config) puts the token
    first, as DBC does."""
    variant = VARIANTS[draw.variation % 3]
    token_first = variant is DYNAMIC_CONFIG or (draw.variation // 3) % 2 == 0
    a, b = (draw.mint, draw.quote_mint) if token_first else (draw.quote_mint, draw.mint)
    pool = draw.keys()
    accounts = _accounts(variant, draw, a, b, pool)
    liquidity = 10**20 + draw.variation * 7_919
    sqrt_price = 2**64 // 1_000 + draw.variation
    amount_token = 10**15
    amount_quote = draw.initial_buy_lamports or 10**9
    amount_a, amount_b = amount_token, amount_quote
    if not token_first:
        amount_a, amount_b = amount_b, amount_a
    event = encode_event(
        pool=pool,
        token_a=a,
        token_b=b,
        creator=draw.creator,
        liquidity=liquidity,
        sqrt_price=sqrt_price,
        activation_point=draw.timestamp,
        amount_a=amount_a,
        amount_b=amount_b,
    )
    data = encode_instruction_data(
        variant, liquidity=liquidity, sqrt_price=sqrt_price, activation_point=None
    )
    units = 200_000 + 1_000 * (draw.variation % 50)
    instructions = (
        Instruction(COMPUTE_BUDGET_PROGRAM, (), b"\x02" + struct.pack("<I", units)),
        Instruction(COMPUTE_BUDGET_PROGRAM, (), b"\x03" + struct.pack("<Q", 50_000)),
        Instruction(PROGRAM, accounts, data, 1),
        Instruction(PROGRAM, [EVENT_AUTHORITY], EVENT_CPI_TAG + event, 2),
    )
    launch = Invoke(
        PROGRAM,
        (variant.line, *_STEPS, Invoke(PROGRAM, (), 1_400)),
        71_000 + draw.variation % 5_000,
    )
    mint, quote_mint, partial = sorted_pair_roles(b58encode(a), b58encode(b))
    return SyntheticLaunch(
        invokes=(_COMPUTE_BUDGET, _COMPUTE_BUDGET, launch),
        instructions=instructions,
        from_logs=FoundLaunch(launchpad=NAME, event=POOL),
        from_instruction=FoundLaunch(
            launchpad=NAME,
            event=POOL,
            mint=mint,
            quote_mint=quote_mint,
            creator=b58encode(draw.creator),
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
