"""Meteora Dynamic Bonding Curve (DBC): the launchpad behind Jupiter Studio, Bags, Believe and
many white-label front ends, which all share one program and differ by their ``config`` account.

Launch instructions (Anchor; discriminators computed, they match the shared docs' table):

- ``initialize_virtual_pool_with_spl_token``: 16 accounts, event ``EvtInitializePool``;
- ``initialize_virtual_pool_with_token2022``: 14 accounts, event ``EvtInitializePool``;
- ``initialize_virtual_pool_with_token2022_transfer_hook``: 15 accounts (transfer-hook program
  8, payer 9), event ``EvtInitializePoolWithTransferHook``.

All three start config 0 (the front end's identity), pool_authority 1 (a constant PDA shared by
every pool: NOT a front end), creator 2 (signer), base_mint 3 (the new token), quote_mint 4,
pool 5, base_vault 6, quote_vault 7; their argument is ``InitializePoolParameters {name, symbol,
uri}``. The transfer-hook variant emits its own event, ``EvtInitializePoolWithTransferHook``,
with the same fields as ``EvtInitializePool`` (pool, config, creator, base_mint, pool_type u8,
activation_point u64) (DBC program source; the shared docs list only the first).

DBC emits its events by ``emit_cpi!`` only: they are an inner instruction of the program to
itself, never a ``Program data:`` line. So a logs-only frame tells that a pool was created and
nothing else (every field None, none partial: that frame kind never carries them), and a full
frame has two witnesses of the mint, creator and config: the instruction's accounts and the
event. Where both are read and disagree the field is None and partial; where one is missing the
other stands alone.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from solwire.base58 import b58encode
from solwire.borsh import BorshReader, EndOfData, borsh_string
from solwire.launchpads._base import (
    CREATE,
    AnchorInstruction,
    FoundLaunch,
    InstructionContext,
    Launchpad,
    LogLaunch,
    SyntheticLaunch,
    TokenDraw,
    anchor_event,
)
from solwire.launchpads.platforms import platform_of
from solwire.logs import Invoke, program_log
from solwire.programs import (
    COMPUTE_BUDGET_PROGRAM,
    EVENT_CPI_TAG,
    METAPLEX_METADATA_PROGRAM,
    SYSTEM_PROGRAM,
    TOKEN_2022_PROGRAM,
    TOKEN_PROGRAM,
)
from solwire.txmodel import Instruction

__all__ = ["LAUNCHPAD", "NAME", "PROGRAM", "encode_event", "encode_instruction_data", "synthetic"]

NAME = "meteora_dbc"
PROGRAM = "dbcij3LWUppWqq96dh6gJWwBifmcGfLSB5D4DuSMaqN"
#: The constant pool-authority PDA: account 1 of every create, in every pool. Not a platform.
POOL_AUTHORITY = "FhVo3mqL8PW5pH5U2CN4XE33DokiyZnUwuGpH2hmHLuM"
#: Anchor's ``["__event_authority"]`` PDA, the one account of the self-CPI event instruction.
EVENT_AUTHORITY = "8Ks12pbrD6PXxfty1hVQiE9sc289zgU1zHkvXhrSdriF"

EVT_INITIALIZE_POOL = anchor_event("EvtInitializePool")
EVT_INITIALIZE_POOL_WITH_TRANSFER_HOOK = anchor_event("EvtInitializePoolWithTransferHook")

# Account roles shared by the three variants.
_CONFIG, _CREATOR, _BASE_MINT, _QUOTE_MINT = 0, 2, 3, 4
# The event's fixed part: pool, config, creator, base_mint (32 bytes each); pool_type and
# activation_point follow but are not needed.
_EVENT_KEYS = 4 * 32


@dataclass(frozen=True, slots=True)
class _Variant(AnchorInstruction):
    event: bytes
    #: ``PoolType`` the pool is created with: 0 SPL Token, 1 Token-2022.
    pool_type: int


SPL_TOKEN = _Variant(
    "initialize_virtual_pool_with_spl_token",
    "InitializeVirtualPoolWithSplToken",
    16,
    EVT_INITIALIZE_POOL,
    0,
)
TOKEN_2022 = _Variant(
    "initialize_virtual_pool_with_token2022",
    "InitializeVirtualPoolWithToken2022",
    14,
    EVT_INITIALIZE_POOL,
    1,
)
TRANSFER_HOOK = _Variant(
    "initialize_virtual_pool_with_token2022_transfer_hook",
    "InitializeVirtualPoolWithToken2022TransferHook",
    15,
    EVT_INITIALIZE_POOL_WITH_TRANSFER_HOOK,
    1,
)
VARIANTS = (SPL_TOKEN, TOKEN_2022, TRANSFER_HOOK)
_BY_DISCRIMINATOR = {variant.discriminator: variant for variant in VARIANTS}


# --- decoding --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Event:
    config: str
    creator: str
    base_mint: str


def _read_event(events: list[bytes], discriminator: bytes) -> _Event | None:
    """The variant's create event among the instruction's self-CPI events; None when absent or
    too short to hold its keys (a foreign or cut event is no witness)."""
    for event in events:
        if event[:8] == discriminator and len(event) >= 8 + _EVENT_KEYS:
            return _Event(
                config=b58encode(event[40:72]),
                creator=b58encode(event[72:104]),
                base_mint=b58encode(event[104:136]),
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


def _read_params(data: bytes) -> list[str | None]:
    """name, symbol, uri from ``InitializePoolParameters``; a field cut off is None."""
    reader = BorshReader(data, 8)
    out: list[str | None] = [None, None, None]
    try:
        for i in range(3):
            out[i] = reader.string()
    except EndOfData:
        pass
    return out


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

    event = _read_event(context.cpi_events(), variant.event)
    config_key = _agree(role(_CONFIG), event.config if event else None)
    mint = _agree(role(_BASE_MINT), event.base_mint if event else None)
    creator = _agree(role(_CREATOR), event.creator if event else None)
    quote_mint = role(_QUOTE_MINT)
    name, symbol, uri = _read_params(data)
    fields = {
        "mint": mint,
        "quote_mint": quote_mint,
        "platform": config_key,  # the key stands for the platform: unknown key, unknown platform
        "creator": creator,
        "name": name,
        "symbol": symbol,
        "uri": uri,
    }
    partial = tuple(field for field, value in fields.items() if value is None)
    return FoundLaunch(
        launchpad=NAME,
        event=CREATE,
        mint=mint,
        quote_mint=quote_mint,
        platform=platform_of(NAME, config_key),
        creator=creator,
        name=name,
        symbol=symbol,
        uri=uri,
        partial=partial,
    )


def decode_logs(launch: LogLaunch) -> FoundLaunch | None:
    # DBC logs no event (emit_cpi! only), so a logs-only frame carries nothing but the line:
    # every field None, none partial. A full frame lands here when its create instruction was
    # unreadable; its self-CPI event may still be there, and names the mint.
    for discriminator in (EVT_INITIALIZE_POOL, EVT_INITIALIZE_POOL_WITH_TRANSFER_HOOK):
        event = _read_event(list(launch.cpi_events), discriminator)
        if event is not None:
            return FoundLaunch(
                launchpad=NAME,
                event=CREATE,
                mint=event.base_mint,
                platform=platform_of(NAME, event.config),
                creator=event.creator,
                truncated=launch.truncated,
                partial=("quote_mint", "name", "symbol", "uri"),
            )
    return FoundLaunch(launchpad=NAME, event=CREATE, truncated=launch.truncated)


# --- encoding (the synthetic source) ---------------------------------------------------------


def encode_instruction_data(variant: _Variant, name: str, symbol: str, uri: str) -> bytes:
    return variant.discriminator + borsh_string(name) + borsh_string(symbol) + borsh_string(uri)


def encode_event(
    variant: _Variant,
    *,
    pool: bytes,
    config: bytes,
    creator: bytes,
    base_mint: bytes,
    activation_point: int,
) -> bytes:
    """The variant's create event, discriminator first (without the CPI tag)."""
    return (
        variant.event
        + pool
        + config
        + creator
        + base_mint
        + struct.pack("<BQ", variant.pool_type, activation_point)
    )


def _compute_budget(units: int, micro_lamports: int) -> list[Instruction]:
    return [
        Instruction(COMPUTE_BUDGET_PROGRAM, (), b"\x02" + struct.pack("<I", units)),
        Instruction(COMPUTE_BUDGET_PROGRAM, (), b"\x03" + struct.pack("<Q", micro_lamports)),
    ]


_SYSTEM = Invoke(SYSTEM_PROGRAM, static=True)
_COMPUTE_BUDGET = Invoke(COMPUTE_BUDGET_PROGRAM, static=True)


def _token(message: str, cost: int, program: str = TOKEN_PROGRAM) -> Invoke:
    return Invoke(program, (program_log(message),), cost)


_METAPLEX_CREATE = Invoke(
    METAPLEX_METADATA_PROGRAM,
    (
        program_log("IX: Create Metadata Accounts v3"),
        _SYSTEM,
        program_log("Allocate space for the account"),
        _SYSTEM,
        program_log("Assign the account to the owning program"),
        _SYSTEM,
    ),
    35808,
)


def _steps(variant: _Variant) -> tuple[str | Invoke, ...]:
    """What the program invokes while creating a pool (before its self-CPI event): the base
    mint, the pool account, the two vaults, metadata, the supply minted into the base vault."""
    vaults: tuple[str | Invoke, ...]
    if variant is SPL_TOKEN:
        vaults = (
            _SYSTEM,
            _token("Instruction: InitializeAccount3", 4214),
            _SYSTEM,
            _token("Instruction: InitializeAccount3", 4214),
        )
        return (
            _SYSTEM,
            _token("Instruction: InitializeMint2", 2780),
            _SYSTEM,
            *vaults,
            _METAPLEX_CREATE,
            _token("Instruction: MintTo", 4492),
            _token("Instruction: SetAuthority", 2911),
        )
    hook: tuple[str | Invoke, ...] = ()
    if variant is TRANSFER_HOOK:
        hook = (_token("TransferHookInstruction::Initialize", 904, TOKEN_2022_PROGRAM),)
    vaults = (
        _SYSTEM,
        _token("Instruction: InitializeAccount3", 1969, TOKEN_2022_PROGRAM),
        _SYSTEM,
        _token("Instruction: InitializeAccount3", 4214),
    )
    return (
        _SYSTEM,
        _token("MetadataPointerInstruction::Initialize", 925, TOKEN_2022_PROGRAM),
        *hook,
        _token("Instruction: InitializeMint2", 1772, TOKEN_2022_PROGRAM),
        _SYSTEM,
        *vaults,
        _SYSTEM,
        _token("TokenMetadataInstruction: Initialize", 3514, TOKEN_2022_PROGRAM),
        _token("Instruction: MintTo", 1714, TOKEN_2022_PROGRAM),
    )


def _accounts(variant: _Variant, draw: TokenDraw, config: bytes, pool: bytes) -> list[str]:
    """The create's accounts in the variant's order (base58)."""
    head = [
        b58encode(config),
        POOL_AUTHORITY,
        b58encode(draw.creator),
        b58encode(draw.mint),
        b58encode(draw.quote_mint),
        b58encode(pool),
        b58encode(draw.keys()),  # base_vault
        b58encode(draw.keys()),  # quote_vault
    ]
    payer = b58encode(draw.creator)
    tail = [SYSTEM_PROGRAM, EVENT_AUTHORITY, PROGRAM]
    if variant is SPL_TOKEN:
        middle = [
            b58encode(draw.keys()),  # mint_metadata
            METAPLEX_METADATA_PROGRAM,
            payer,
            TOKEN_PROGRAM,  # token_quote_program
            TOKEN_PROGRAM,
        ]
    elif variant is TOKEN_2022:
        middle = [payer, TOKEN_PROGRAM, TOKEN_2022_PROGRAM]
    else:
        middle = [b58encode(draw.keys()), payer, TOKEN_PROGRAM, TOKEN_2022_PROGRAM]  # hook first
    return head + middle + tail


def synthetic(draw: TokenDraw) -> SyntheticLaunch:
    """A DBC pool creation: two compute-budget instructions, then the create with its
    self-CPI event. Variant by ``draw.variation``: SPL Token 6 in 10, Token-2022 3, with a
    transfer hook 1."""
    pick = draw.variation % 10
    variant = SPL_TOKEN if pick < 6 else TOKEN_2022 if pick < 9 else TRANSFER_HOOK
    config = draw.platform_config if draw.platform_config is not None else draw.keys()
    pool = draw.keys()
    accounts = _accounts(variant, draw, config, pool)
    event = encode_event(
        variant,
        pool=pool,
        config=config,
        creator=draw.creator,
        base_mint=draw.mint,
        activation_point=draw.timestamp,
    )
    data = encode_instruction_data(variant, draw.name, draw.symbol, draw.uri)
    units = 150_000 + 1_000 * (draw.variation % 50)
    instructions = (
        *_compute_budget(units, 100_000 + draw.variation % 1_000_000),
        Instruction(PROGRAM, accounts, data, 1),
        Instruction(PROGRAM, [EVENT_AUTHORITY], EVENT_CPI_TAG + event, 2),
    )
    launch = Invoke(
        PROGRAM,
        (variant.line, *_steps(variant), Invoke(PROGRAM, (), 1_500)),
        62_000 + draw.variation % 5_000,
    )
    platform_key = b58encode(config)
    return SyntheticLaunch(
        invokes=(_COMPUTE_BUDGET, _COMPUTE_BUDGET, launch),
        instructions=instructions,
        from_logs=FoundLaunch(launchpad=NAME, event=CREATE),
        from_instruction=FoundLaunch(
            launchpad=NAME,
            event=CREATE,
            mint=b58encode(draw.mint),
            quote_mint=b58encode(draw.quote_mint),
            platform=platform_of(NAME, platform_key),
            creator=b58encode(draw.creator),
            name=draw.name,
            symbol=draw.symbol,
            uri=draw.uri,
        ),
    )


LAUNCHPAD = Launchpad(
    name=NAME,
    program=PROGRAM,
    event=CREATE,
    launch_lines=frozenset(variant.line for variant in VARIANTS),
    decode_instruction=decode_instruction,
    decode_logs=decode_logs,
    synthetic=synthetic,
)
