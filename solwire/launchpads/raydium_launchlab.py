"""Raydium LaunchLab: the bonding-curve program behind bonk.fun/LetsBonk, Stonk.fun and others.

Facts (shared docs, launchpads.md section 1.2, checked on the real capture in
``fixtures/solana/real_txs/launchlab_2FG9…json``):

- Launch instructions ``initialize`` / ``initialize_v2`` (18 accounts) and
  ``initialize_with_token_2022`` (15 documented; the real Stonk.fun create passes 17, the last two
  being extra accounts after ``program``). Roles, the same in all three up to index 9: payer 0,
  creator 1, global_config 2, platform_config 3, authority 4, pool_state 5, base_mint 6 (the new
  token, a signer), quote_mint 7, base_vault 8, quote_vault 9.
- Arguments start with ``MintParams {decimals u8, name, symbol, uri}``; what follows (curve,
  vesting, fee options) differs between the three and is not needed here.
- ``PoolCreateEvent``: pool_state, creator, config (the GLOBAL config, account 2, not the
  platform's), MintParams, curve, vesting, amm_fee_on. It has NO mint. The program emits it both
  by self-CPI (event authority, 626 compute units) and, right after that CPI returns, as a
  ``Program data:`` line in its own frame: a logs-only frame has the event but never the mint.
- Trades (``BuyExactIn``...) emit a ``TradeEvent`` whose discriminator is pump.fun's; they are not
  launches, and its layout is not documented, so the creator's first buy is not read
  (``initial_buy_sol`` stays None).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from collections.abc import Callable
from dataclasses import dataclass

from solwire.base58 import b58decode, b58encode
from solwire.borsh import BorshReader, EndOfData, borsh_string
from solwire.launchpads._base import (
    CREATE,
    FoundLaunch,
    InstructionContext,
    Launchpad,
    LogLaunch,
    SyntheticLaunch,
    TokenDraw,
    UndecodableEvent,
    anchor_event,
    anchor_instruction,
)
from solwire.launchpads.platforms import platform_of
from solwire.logs import Invoke, program_data_line, program_log
from solwire.programs import (
    ASSOCIATED_TOKEN_PROGRAM,
    EVENT_CPI_TAG,
    SYSTEM_PROGRAM,
    TOKEN_2022_PROGRAM,
    TOKEN_PROGRAM,
    WRAPPED_SOL,
)
from solwire.txmodel import Instruction

__all__ = [
    "INITIALIZE",
    "INITIALIZE_V2",
    "INITIALIZE_WITH_TOKEN_2022",
    "LAUNCHPAD",
    "NAME",
    "POOL_CREATE_EVENT",
    "PROGRAM",
    "PoolCreateEvent",
    "decode_instruction",
    "decode_logs",
    "encode_launch_args",
    "synthetic",
]

NAME = "raydium_launchlab"
PROGRAM = "LanMV9sAd7wArD4vJFi2qDdfnVhFxYSUg6eADduJ3uj"

INITIALIZE = anchor_instruction("initialize")  # afaf6d1f0d989bed, also pump.fun's, CPMM's, Boop's
INITIALIZE_V2 = anchor_instruction("initialize_v2")  # 4399af27da102620
INITIALIZE_WITH_TOKEN_2022 = anchor_instruction("initialize_with_token_2022")  # 25be7ede2c9aab11
BUY_EXACT_IN = anchor_instruction("buy_exact_in")
POOL_CREATE_EVENT = anchor_event("PoolCreateEvent")  # 97d7e20976a173ae
TRADE_EVENT = anchor_event("TradeEvent")  # bddb7fd34ee661ee, the same as pump.fun's

#: Discriminator -> the fewest accounts the program accepts for that instruction. An instruction
#: with fewer did not run as documented (or the frame lost some): its roles are not trusted.
_MIN_ACCOUNTS = {INITIALIZE: 18, INITIALIZE_V2: 18, INITIALIZE_WITH_TOKEN_2022: 15}
_LINE_OF = {
    INITIALIZE: program_log("Instruction: Initialize"),
    INITIALIZE_V2: program_log("Instruction: InitializeV2"),
    INITIALIZE_WITH_TOKEN_2022: program_log("Instruction: InitializeWithToken2022"),
}
LAUNCH_LINES = frozenset(_LINE_OF.values())

# Account roles (the same index in all three launch instructions).
_PAYER, _CREATOR, _GLOBAL_CONFIG, _PLATFORM_CONFIG, _AUTHORITY, _POOL_STATE = range(6)
_BASE_MINT, _QUOTE_MINT = 6, 7

#: SPL Token instruction tags that create a mint (account 0): InitializeMint, InitializeMint2.
_INITIALIZE_MINT_TAGS = (b"\x00", b"\x14")
_TOKEN_PROGRAMS = (TOKEN_PROGRAM, TOKEN_2022_PROGRAM)

_TEXT_FIELDS = ("creator", "name", "symbol", "uri")


# --- decoding -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _MintText:
    """What ``MintParams`` names (None for a field the bytes were cut before)."""

    name: str | None = None
    symbol: str | None = None
    uri: str | None = None


def _read_mint_text(reader: BorshReader) -> _MintText:
    """``MintParams {decimals u8, name, symbol, uri}`` from the reader's position, leniently."""
    name = symbol = None
    try:
        reader.u8()  # decimals
        name = reader.string()
        symbol = reader.string()
        return _MintText(name, symbol, reader.string())
    except EndOfData:
        return _MintText(name, symbol, None)


@dataclass(frozen=True, slots=True)
class PoolCreateEvent:
    """The fields of a ``PoolCreateEvent`` the sniffer reads (keys base58; None where cut)."""

    pool_state: str | None
    creator: str | None
    config: str | None
    text: _MintText


def read_pool_create_event(data: bytes) -> PoolCreateEvent | None:
    """A PoolCreateEvent (discriminator first), or None for any other event."""
    if data[:8] != POOL_CREATE_EVENT:
        return None
    reader = BorshReader(data, 8)
    keys: list[str | None] = [None, None, None]
    try:
        for i in range(3):  # pool_state, creator, config
            keys[i] = reader.pubkey()
    except EndOfData:
        return PoolCreateEvent(keys[0], keys[1], keys[2], _MintText())
    return PoolCreateEvent(keys[0], keys[1], keys[2], _read_mint_text(reader))


def _b64(payload: str) -> bytes | None:
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return None


def _logged_event(launch: LogLaunch, strict: bool) -> PoolCreateEvent | None:
    """The first PoolCreateEvent among the ``Program data:`` lines LaunchLab printed after its
    launch line. The create prints it before anything else of its own, so a first payload that
    is not base64 is the create event corrupted: `UndecodableEvent` when `strict`."""
    for position, payload in enumerate(launch.events):
        data = _b64(payload)
        if data is None:
            if strict and position == 0:
                raise UndecodableEvent(f"LaunchLab event is not valid base64: {payload[:48]!r}")
            continue
        event = read_pool_create_event(data)
        if event is not None:
            return event
    return None


def decode_logs(launch: LogLaunch) -> FoundLaunch | None:
    """A launch from its log lines: creator, name, symbol, uri from the PoolCreateEvent.

    The logs never carry the mint, the quote mint or the platform config (the event's config is
    the global one), so those are None and not "partial": this kind of frame lacks them.
    """
    if launch.line not in LAUNCH_LINES:
        return None
    event = _logged_event(launch, strict=True)
    if event is None:
        # Cut logs explain a missing event; otherwise the program no longer logs it as known.
        partial = () if launch.truncated else _TEXT_FIELDS
        return FoundLaunch(NAME, CREATE, truncated=launch.truncated, partial=partial)
    text = event.text
    values = (event.creator, text.name, text.symbol, text.uri)
    missing = tuple(
        field for field, value in zip(_TEXT_FIELDS, values, strict=True) if value is None
    )
    return FoundLaunch(
        NAME,
        CREATE,
        creator=event.creator,
        name=text.name,
        symbol=text.symbol,
        uri=text.uri,
        truncated=launch.truncated and bool(missing),
        partial=missing,
    )


class _Merge:
    """Two witnesses of one field: one alone is taken, two that differ give None."""

    __slots__ = ("partial",)

    def __init__(self) -> None:
        self.partial: list[str] = []

    def __call__(self, field: str, first: str | None, second: str | None) -> str | None:
        if first is None or second is None or first == second:
            value = first if first is not None else second
        else:
            value = None
        if value is None:
            self.partial.append(field)
        return value


def _event_for(context: InstructionContext, pool_state: str | None) -> PoolCreateEvent | None:
    """This launch's PoolCreateEvent: its self-CPI copy, else the logged one. Either must name
    the instruction's pool_state (when known), or it belongs to another launch."""
    candidates: list[PoolCreateEvent] = []
    for data in context.cpi_events():
        event = read_pool_create_event(data)
        if event is not None:
            candidates.append(event)
    if not candidates:
        logged = context.witness()
        if logged is not None:
            event = _logged_event(logged, strict=False)
            if event is not None:
                candidates.append(event)
    for event in candidates:
        if pool_state is None or event.pool_state in (None, pool_state):
            return event
    return None


def _initialized_mints(context: InstructionContext) -> set[str]:
    """Mints the launch created through the token program (its InitializeMint2): a second
    witness of base_mint."""
    mints: set[str] = set()
    for inner in context.inner():
        if inner.program in _TOKEN_PROGRAMS:
            data = inner.data
            if data is not None and data[:1] in _INITIALIZE_MINT_TAGS:
                key = inner.account(0)
                if key is not None:
                    mints.add(key)
    return mints


def decode_instruction(context: InstructionContext) -> FoundLaunch | None:
    """A launch from a LaunchLab instruction: roles from its accounts, text from its arguments,
    the PoolCreateEvent as second witness of creator and text."""
    instruction = context.instruction
    data = instruction.data
    if data is None:
        return None
    minimum = _MIN_ACCOUNTS.get(data[:8])
    if minimum is None:
        return None  # a trade, a migration, a config instruction: not a launch
    roles_known = len(instruction.accounts) >= minimum

    def role(index: int) -> str | None:
        return instruction.account(index) if roles_known else None

    args = _read_mint_text(BorshReader(data, 8))
    event = _event_for(context, role(_POOL_STATE))
    event_text = event.text if event is not None else _MintText()
    merge = _Merge()
    mint = role(_BASE_MINT)
    if mint is not None:
        created = _initialized_mints(context)
        if created and mint not in created:
            mint = None  # the token program initialized another mint: roles moved
    if mint is None:
        merge.partial.append("mint")
    quote_mint = merge("quote_mint", role(_QUOTE_MINT), None)
    platform_config = role(_PLATFORM_CONFIG)
    if platform_config is None:
        merge.partial.append("platform")
    creator = merge("creator", role(_CREATOR), event.creator if event is not None else None)
    return FoundLaunch(
        NAME,
        CREATE,
        mint=mint,
        quote_mint=quote_mint,
        platform=platform_of(NAME, platform_config),
        creator=creator,
        name=merge("name", args.name, event_text.name),
        symbol=merge("symbol", args.symbol, event_text.symbol),
        uri=merge("uri", args.uri, event_text.uri),
        partial=tuple(merge.partial),
    )


# --- encoding (the synthetic source) --------------------------------------------------------------

DECIMALS = 6
TOTAL_SUPPLY = 1_000_000_000_000_000
TOTAL_BASE_SELL = 793_100_000_000_000
TOTAL_QUOTE_FUND_RAISING = 85_000_000_000
#: The program's PDAs seen on the real transaction: pool authority and event authority.
AUTHORITY = "WLHv2UAZm6z4KyaaELi5pjdbJh6RESMva1Rnn8pJVVh"
EVENT_AUTHORITY = "2DPAtwB8L12vrMRExbLuyGnC7n2J5LNoZQSejeQGpwkr"
#: LetsBonk's global config for SOL-quoted pools (docs 1.2).
WSOL_GLOBAL_CONFIG = "6s1xP3hpbAfFoNtUNF8mfHsjr2Bd97JxFJRWLbL6aHuX"

_U64 = struct.Struct("<Q")
_CURVE_CONSTANT = struct.Struct("<BQQQB")  # Constant{supply, total_base_sell, raising, migrate}
_VESTING = struct.Struct("<QQQ")
_TRADE_TAIL = struct.Struct("<13QBBB")
#: The Token-2022 metadata extension's "initialize" (sha256 of its namespaced name, 8 bytes).
_TOKEN_METADATA_INITIALIZE = hashlib.sha256(
    b"spl_token_metadata_interface:initialize_account"
).digest()[:8]


def _mint_params(name: str, symbol: str, uri: str) -> bytes:
    return bytes((DECIMALS,)) + borsh_string(name) + borsh_string(symbol) + borsh_string(uri)


def _curve_and_vesting(fund_raising: int) -> bytes:
    curve = _CURVE_CONSTANT.pack(0, TOTAL_SUPPLY, TOTAL_BASE_SELL, fund_raising, 1)
    return curve + _VESTING.pack(0, 0, 0)


def encode_launch_args(
    discriminator: bytes,
    name: str,
    symbol: str,
    uri: str,
    fund_raising: int = TOTAL_QUOTE_FUND_RAISING,
    transfer_fee_bps: int | None = None,
) -> bytes:
    """The data of a launch instruction: discriminator, MintParams, curve, vesting, then
    amm_fee_on (v2 and token_2022) and the optional transfer fee (token_2022)."""
    data = discriminator + _mint_params(name, symbol, uri) + _curve_and_vesting(fund_raising)
    if discriminator != INITIALIZE:
        data += b"\x00"  # amm_fee_on
    if discriminator == INITIALIZE_WITH_TOKEN_2022:
        if transfer_fee_bps is None:
            data += b"\x00"
        else:
            data += b"\x01" + struct.pack("<HQ", transfer_fee_bps, TOTAL_SUPPLY)
    return data


def encode_pool_create_event(
    pool_state: bytes,
    creator: bytes,
    config: bytes,
    name: str,
    symbol: str,
    uri: str,
    fund_raising: int = TOTAL_QUOTE_FUND_RAISING,
) -> bytes:
    """A PoolCreateEvent in the real capture's layout (246 bytes for its 12/12/54-byte text)."""
    return b"".join(
        (
            POOL_CREATE_EVENT,
            pool_state,
            creator,
            config,
            _mint_params(name, symbol, uri),
            _curve_and_vesting(fund_raising),
            b"\x00",  # amm_fee_on
        )
    )


def encode_trade_event(pool_state: bytes, amount_in: int, amount_out: int) -> bytes:
    """A buy's TradeEvent in the layout of the real capture's (147 bytes: pool_state, thirteen
    u64 counters, three u8 flags). Field meanings are not documented; only the shape is copied,
    and the decoder reads nothing from it."""
    counters = (
        TOTAL_BASE_SELL,
        1_073_025_605_596_160,
        30_000_852_951,
        0,
        0,
        amount_out,
        amount_in,
        amount_in,
        amount_out,
        amount_in // 400,
        amount_in // 100,
        0,
        0,
    )
    return TRADE_EVENT + pool_state + _TRADE_TAIL.pack(*counters, 0, 0, 1)


def _system_create(lamports: int, space: int, owner: str) -> bytes:
    return struct.pack("<IQQ", 0, lamports, space) + b58decode(owner)


def _system_transfer(lamports: int) -> bytes:
    return struct.pack("<IQ", 2, lamports)


@dataclass(frozen=True, slots=True)
class _Step:
    """One invocation both as the logs show it and as an instruction (so the two agree)."""

    program: str
    accounts: tuple[str, ...]
    data: bytes
    logs: tuple[str, ...] = ()
    cost: int = 0
    children: tuple[_Step | str, ...] = ()

    def invoke(self) -> Invoke:
        body: list[str | Invoke] = list(self.logs)
        body.extend(child if isinstance(child, str) else child.invoke() for child in self.children)
        return Invoke(self.program, tuple(body), self.cost)

    def flatten(self, depth: int, out: list[Instruction]) -> None:
        out.append(Instruction(self.program, list(self.accounts), self.data, depth))
        for child in self.children:
            if not isinstance(child, str):
                child.flatten(depth + 1, out)


def _token_step(program: str, accounts: tuple[str, ...], data: bytes, log: str, cost: int) -> _Step:
    return _Step(program, accounts, data, (program_log(log),) if log else (), cost)


def synthetic(draw: TokenDraw) -> SyntheticLaunch:
    """A Stonk.fun-style ``initialize_with_token_2022``, shaped after the real capture: the
    launch (vaults, self-CPI event then its ``Program data:`` line, the Token-2022 mint with
    metadata), then the creator's first buy through the program and a tip transfer."""

    def key() -> str:
        return b58encode(draw.keys())

    creator = b58encode(draw.creator)
    mint = b58encode(draw.mint)
    quote_mint = b58encode(draw.quote_mint)
    quote_is_sol = quote_mint == WRAPPED_SOL
    quote_program = TOKEN_PROGRAM if quote_is_sol else TOKEN_2022_PROGRAM
    global_config = WSOL_GLOBAL_CONFIG if quote_is_sol else key()
    platform_config = b58encode(draw.platform_config) if draw.platform_config else key()
    pool_state, base_vault, quote_vault = key(), key(), key()
    extra = (key(), key())  # the real create passes two accounts after `program`
    transfer_fee = 100 if draw.variation % 2 else None
    fund_raising = TOTAL_QUOTE_FUND_RAISING + draw.variation % 1000 * 1_000_000

    event = encode_pool_create_event(
        b58decode(pool_state),
        draw.creator,
        b58decode(global_config),
        draw.name,
        draw.symbol,
        draw.uri,
        fund_raising,
    )
    args = encode_launch_args(
        INITIALIZE_WITH_TOKEN_2022,
        draw.name,
        draw.symbol,
        draw.uri,
        fund_raising,
        transfer_fee,
    )
    accounts = (
        creator,
        creator,
        global_config,
        platform_config,
        AUTHORITY,
        pool_state,
        mint,
        quote_mint,
        base_vault,
        quote_vault,
        TOKEN_2022_PROGRAM,
        quote_program,
        SYSTEM_PROGRAM,
        EVENT_AUTHORITY,
        PROGRAM,
        *extra,
    )
    t22 = TOKEN_2022_PROGRAM
    mint_steps: list[_Step | str] = [
        _Step(SYSTEM_PROGRAM, (creator, mint), _system_create(4_000_000, 234, t22)),
        _token_step(
            t22,
            (mint,),
            b"\x27\x00" + b58decode(AUTHORITY) + draw.mint,
            "MetadataPointerInstruction::Initialize",
            925,
        ),
    ]
    if transfer_fee is not None:
        fee_data = b"\x1a" + struct.pack("<BBHQ", 0, 0, transfer_fee, TOTAL_SUPPLY)
        mint_steps.append(_token_step(t22, (mint,), fee_data, "", 1280))
    mint_steps += [
        _token_step(
            t22,
            (mint,),
            b"\x14" + bytes((DECIMALS,)) + b58decode(AUTHORITY) + b"\x00",
            "Instruction: InitializeMint2",
            1940,
        ),
        _Step(SYSTEM_PROGRAM, (creator, mint), _system_transfer(3_000_000)),
        _token_step(
            t22,
            (mint, AUTHORITY, mint, AUTHORITY),
            _TOKEN_METADATA_INITIALIZE
            + borsh_string(draw.name)
            + borsh_string(draw.symbol)
            + borsh_string(draw.uri),
            "TokenMetadataInstruction: Initialize",
            3742,
        ),
        _Step(SYSTEM_PROGRAM, (creator, base_vault), _system_create(2_100_000, 182, t22)),
        _token_step(
            t22,
            (base_vault, mint),
            b"\x12" + b58decode(AUTHORITY),
            "Instruction: InitializeAccount3",
            2743,
        ),
        _token_step(
            t22,
            (mint, base_vault, AUTHORITY),
            b"\x07" + _U64.pack(TOTAL_SUPPLY),
            "Instruction: MintTo",
            1876,
        ),
        _token_step(t22, (mint, AUTHORITY), b"\x06\x00\x00", "Instruction: SetAuthority", 1044),
    ]
    launch = _Step(
        PROGRAM,
        accounts,
        args,
        (_LINE_OF[INITIALIZE_WITH_TOKEN_2022],),
        92_214 + draw.variation % 4000,
        (
            _Step(SYSTEM_PROGRAM, (creator, pool_state), _system_create(5_000_000, 429, PROGRAM)),
            _Step(SYSTEM_PROGRAM, (creator, quote_vault), _system_create(2_100_000, 165, PROGRAM)),
            _token_step(
                quote_program,
                (quote_vault, quote_mint),
                b"\x12" + b58decode(AUTHORITY),
                "Instruction: InitializeAccount3",
                3572 if not quote_is_sol else 4214,
            ),
            _Step(PROGRAM, (EVENT_AUTHORITY,), EVENT_CPI_TAG + event, (), 626),
            program_data_line(event),
            *mint_steps,
        ),
    )
    steps = [launch]
    if draw.initial_buy_lamports > 0:
        steps += _creator_buy(draw, creator, mint, quote_mint, quote_program, pool_state, key)
    steps.append(_Step(SYSTEM_PROGRAM, (creator, key()), _system_transfer(1_000_000)))

    instructions: list[Instruction] = []
    for step in steps:
        step.flatten(1, instructions)
    from_logs = FoundLaunch(
        NAME, CREATE, creator=creator, name=draw.name, symbol=draw.symbol, uri=draw.uri
    )
    from_instruction = FoundLaunch(
        NAME,
        CREATE,
        mint=mint,
        quote_mint=quote_mint,
        platform=platform_of(NAME, platform_config),
        creator=creator,
        name=draw.name,
        symbol=draw.symbol,
        uri=draw.uri,
    )
    return SyntheticLaunch(
        invokes=tuple(step.invoke() for step in steps),
        instructions=tuple(instructions),
        from_logs=from_logs,
        from_instruction=from_instruction,
    )


def _creator_buy(
    draw: TokenDraw,
    creator: str,
    mint: str,
    quote_mint: str,
    quote_program: str,
    pool_state: str,
    key: Callable[[], str],
) -> list[_Step]:
    """The creator opens its token account and buys on the new curve (``BuyExactIn``), the
    TradeEvent printed after its self-CPI as in the real capture."""
    t22 = TOKEN_2022_PROGRAM
    ata, quote_account, base_vault, quote_vault = key(), key(), key(), key()
    ata_create = _Step(
        ASSOCIATED_TOKEN_PROGRAM,
        (creator, ata, creator, mint, SYSTEM_PROGRAM, t22),
        b"\x01",
        (program_log("CreateIdempotent"),),
        12645,
        (
            _Step(
                t22,
                (mint,),
                b"\x15\x07\x00",
                (program_log("Instruction: GetAccountDataSize"),),
                1447,
            ),
            _Step(SYSTEM_PROGRAM, (creator, ata), _system_create(2_100_000, 170, t22)),
            program_log("Initialize the associated token account"),
            _token_step(t22, (ata,), b"\x16", "Instruction: InitializeImmutableOwner", 736),
            _token_step(
                t22, (ata, mint), b"\x12" + draw.creator, "Instruction: InitializeAccount3", 1969
            ),
        ),
    )
    amount_in = draw.initial_buy_lamports
    amount_out = TOTAL_BASE_SELL * amount_in // (amount_in + 30_000_000_000)
    trade = encode_trade_event(b58decode(pool_state), amount_in, amount_out)
    buy_args = BUY_EXACT_IN + struct.pack("<QQQ", amount_in, amount_out * 9 // 10, 0)
    transfer = b"\x0c" + _U64.pack(amount_in) + bytes((DECIMALS,))
    buy = _Step(
        PROGRAM,
        (creator, AUTHORITY, key(), key(), pool_state, ata, quote_account, base_vault, quote_vault),
        buy_args,
        (program_log("Instruction: BuyExactIn"),),
        51_699 + draw.variation % 2000,
        (
            _Step(PROGRAM, (EVENT_AUTHORITY,), EVENT_CPI_TAG + trade, (), 626),
            program_data_line(trade),
            _token_step(
                quote_program,
                (quote_account, quote_mint, quote_vault, creator),
                transfer,
                "Instruction: TransferChecked",
                3710,
            ),
            _token_step(
                t22,
                (base_vault, mint, ata, AUTHORITY),
                transfer,
                "Instruction: TransferChecked",
                3432,
            ),
        ),
    )
    return [ata_create, buy]


LAUNCHPAD = Launchpad(
    name=NAME,
    program=PROGRAM,
    event=CREATE,
    launch_lines=LAUNCH_LINES,
    decode_instruction=decode_instruction,
    decode_logs=decode_logs,
    synthetic=synthetic,
)
