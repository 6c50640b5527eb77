"""pump.fun: the bonding-curve launchpad most new tokens are born on.

Program ``6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P``. A launch is the ``create`` (legacy: SPL
Token + Metaplex) or ``create_v2`` (current: Token-2022) instruction; its log line is exactly
``Program log: Instruction: Create`` / ``... CreateV2`` inside the pump.fun frame, followed by a
``Program data:`` line holding the CreateEvent (pump.fun also emits it by self-CPI, so a full
transaction has it even when its logs were truncated). The creator's first buy, if any, is a
later pump.fun instruction of the same transaction with a TradeEvent.

Accounts: mint 0 (a signer: the new key), user 7 (``create``) or 5 (``create_v2``). Arguments:
name, symbol, uri, creator (``create`` gained it in 2025), then for ``create_v2`` mode flags and
trailing optionals that the program has grown twice in 2026 (``is_cashback_enabled``,
``creator_fee_bps``): only the leading strings and the creator are read, so new trailing fields
cannot break decoding.

CreateEvent (Borsh, lenient: take what is there): name, symbol, uri, mint, bonding_curve, user;
since 2025 creator, timestamp, four reserve/supply u64, token_program, is_mayhem_mode,
is_cashback_enabled, quote_mint (32 zero bytes = SOL), then more. Events of 201, 310, 343 and 345
bytes are seen on mainnet. An event without the quote_mint field comes from a program version
whose curves were all quoted in SOL, so its quote mint is SOL. Mints need not end in ``pump``.
"""

from __future__ import annotations

import base64
import binascii
import struct
from dataclasses import dataclass

from solwire.base58 import b58decode, b58encode
from solwire.borsh import BorshReader, EndOfData, borsh_string
from solwire.events import CreateEvent as CreateEventLayout
from solwire.events import TradeEvent as TradeEventLayout
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
from solwire.logs import Invoke, program_data_line, program_log
from solwire.programs import (
    EVENT_CPI_TAG,
    LAMPORTS_PER_SOL,
    PUMP_FUN,
    PUMP_FUN_PROGRAM,
    SYSTEM_PROGRAM,
    TOKEN_2022_PROGRAM,
    WRAPPED_SOL,
)
from solwire.txmodel import Instruction

__all__ = ["CREATE_EVENT", "CREATE_IX", "CREATE_V2_IX", "LAUNCHPAD", "TRADE_EVENT"]

CREATE_IX = anchor_instruction("create")
CREATE_V2_IX = anchor_instruction("create_v2")
CREATE_EVENT = anchor_event("CreateEvent")
TRADE_EVENT = anchor_event("TradeEvent")

LAUNCH_LINES = frozenset(("Program log: Instruction: Create", "Program log: Instruction: CreateV2"))
#: The user (signer, payer) account of each create instruction; the mint is account 0.
_USER_ACCOUNT = {CREATE_IX: 7, CREATE_V2_IX: 5}
_MINT_ACCOUNT = 0
_ZERO_KEY = bytes(32)
#: base64 of TRADE_EVENT's 8 bytes begins with these 10 characters (60 of its 64 bits): trades
#: are told apart from other events without decoding them.
_TRADE_PREFIX = base64.b64encode(TRADE_EVENT).decode()[:10]
_CPI_TRADE = EVENT_CPI_TAG + TRADE_EVENT
# After the creator: timestamp i64, four u64 counters, token_program, is_mayhem_mode,
# is_cashback_enabled; then quote_mint.
_BEFORE_QUOTE_MINT = struct.calcsize("<q4Q") + 32 + 2
#: The fields a create carries in every frame format (partial when one cannot be read).
_IDENTITY_FIELDS = ("mint", "creator", "name", "symbol", "uri", "quote_mint")


@dataclass(slots=True)
class _CreateEvent:
    name: str | None = None
    symbol: str | None = None
    uri: str | None = None
    mint: bytes | None = None
    user: bytes | None = None
    creator: bytes | None = None
    quote_mint: bytes | None = None
    #: True once every field of the oldest (2024) layout was read.
    complete: bool = False


def _read_create_event(data: bytes) -> _CreateEvent:
    """The CreateEvent's fields, as far as the bytes go (`data` starts with the discriminator)."""
    event = _CreateEvent()
    reader = BorshReader(data, 8)
    try:
        event.name = reader.string()
        event.symbol = reader.string()
        event.uri = reader.string()
        event.mint = reader.pubkey_bytes()
        reader.skip(32)  # bonding_curve
        event.user = reader.pubkey_bytes()
        event.complete = True
        event.creator = reader.pubkey_bytes()
        reader.skip(_BEFORE_QUOTE_MINT)
        event.quote_mint = reader.pubkey_bytes()
    except EndOfData:
        pass
    return event


def _quote_mint(event: _CreateEvent) -> str | None:
    if not event.complete:
        return None
    if event.quote_mint is None or event.quote_mint == _ZERO_KEY:
        return WRAPPED_SOL  # no such field yet, or "none": the curve is quoted in SOL
    return b58encode(event.quote_mint)


def _initial_buy_sol(
    mint: bytes | None, buyers: set[bytes | None], trades: list[bytes]
) -> float | None:
    """The creator's first buy of the new mint in the same transaction, in SOL.

    TradeEvent: mint, sol_amount (lamports), token_amount, is_buy, user, ... The buyer is the
    create's user (the signer), who may differ from the ``creator`` argument.
    """
    if mint is None:
        return None
    for data in trades:
        reader = BorshReader(data, 8)
        try:
            trade_mint = reader.pubkey_bytes()
            lamports = reader.u64()
            reader.skip(8)  # token_amount
            is_buy = reader.boolean()
            user = reader.pubkey_bytes()
        except EndOfData:
            continue
        if is_buy and trade_mint == mint and user in buyers:
            return lamports / LAMPORTS_PER_SOL
    return None


def _b64(text: str) -> bytes | None:
    try:
        return binascii.a2b_base64(text, strict_mode=True)
    except ValueError:  # binascii.Error, and non-ASCII text
        return None


def _events_from_logs(launch: LogLaunch) -> tuple[bytes | None, list[bytes], bool]:
    """(the CreateEvent, the TradeEvents after it, whether some event line was not base64)."""
    create: bytes | None = None
    trades: list[bytes] = []
    corrupt = False
    for text in launch.events:
        if create is None:
            data = _b64(text)
            if data is None:
                corrupt = True
            elif data[:8] == CREATE_EVENT:
                create = data
        elif text.startswith(_TRADE_PREFIX):
            data = _b64(text)
            if data is not None and data[:8] == TRADE_EVENT:
                trades.append(data)
    return create, trades, corrupt


# --- logs only ------------------------------------------------------------------------------------


def decode_logs(launch: LogLaunch) -> FoundLaunch:
    """A create seen in the logs: everything comes from the CreateEvent.

    Raises `UndecodableEvent` when the event line is there but is not base64 (a corrupt frame,
    not a program change).
    """
    create, trades, corrupt = _events_from_logs(launch)
    if create is None or (not trades and launch.truncated):
        # The logs lost the event or the buy: a full frame's self-CPI copies do not depend on
        # the log limit.
        cpi_create = next((e for e in launch.cpi_events if e[:8] == CREATE_EVENT), None)
        if cpi_create is not None and (create is None or cpi_create == create):
            create = cpi_create
            trades = [e for e in launch.cpi_events if e[:8] == TRADE_EVENT]
    if create is None and corrupt:
        raise UndecodableEvent("pump.fun create event is not valid base64")
    event = _read_create_event(create) if create is not None else _CreateEvent()
    creator = event.creator if event.creator is not None else event.user
    quote = _quote_mint(event)
    buy = None
    if quote == WRAPPED_SOL:
        buy = _initial_buy_sol(event.mint, {event.user, event.creator}, trades)
    return _found(
        mint=event.mint,
        quote_mint=quote,
        creator=creator,
        name=event.name,
        symbol=event.symbol,
        uri=event.uri,
        initial_buy_sol=buy,
        truncated=launch.truncated or not event.complete,
    )


# --- from the instruction -------------------------------------------------------------------------


@dataclass(slots=True)
class _CreateArgs:
    name: str | None = None
    symbol: str | None = None
    uri: str | None = None
    creator: bytes | None = None


def _read_create_args(data: bytes) -> _CreateArgs:
    args = _CreateArgs()
    reader = BorshReader(data, 8)
    try:
        args.name = reader.string()
        args.symbol = reader.string()
        args.uri = reader.string()
        args.creator = reader.pubkey_bytes()
    except EndOfData:
        pass
    return args


def decode_instruction(context: InstructionContext) -> FoundLaunch | None:
    """A ``create`` / ``create_v2`` instruction; its CreateEvent (self-CPI, else the logs) and the
    creator's buy are the second witness."""
    instruction = context.instruction
    data = instruction.data
    if data is None:
        return None
    user_account = _USER_ACCOUNT.get(data[:8])
    if user_account is None:
        return None  # a buy, a sell, a migrate...: not a create
    args = _read_create_args(data)
    mint_key = instruction.account(_MINT_ACCOUNT)
    user_key = instruction.account(user_account)

    # The second witness: the CreateEvent as the logs print it (base64, cheap), else its
    # self-CPI copy (base58 inside the instruction list, costly, but immune to log truncation).
    witness = context.witness()
    create_event: bytes | None = None
    log_trades: list[bytes] = []
    if witness is not None:
        create_event, log_trades, _ = _events_from_logs(witness)
    if create_event is None:
        create_event = next((e for e in context.cpi_events() if e[:8] == CREATE_EVENT), None)
    event = _read_create_event(create_event) if create_event is not None else _CreateEvent()

    partial: list[str] = []
    event_mint = b58encode(event.mint) if event.mint is not None else None
    mint = _agree(mint_key, event_mint)
    if mint_key and event_mint and mint_key != event_mint:
        partial.append("mint")  # two witnesses disagree: report neither
    creator_bytes = args.creator if args.creator not in (None, _ZERO_KEY) else event.creator
    creator = b58encode(creator_bytes) if creator_bytes is not None else user_key
    quote = _quote_mint(event)
    buy = None
    if quote == WRAPPED_SOL and mint is not None:
        trades = log_trades or _cpi_trades(context)
        buyers: set[bytes | None] = {event.user, event.creator, args.creator}
        if user_key:
            buyers.add(_bytes_of(user_key))
        buy = _initial_buy_sol(_bytes_of(mint), buyers, trades)
    return _found(
        mint=mint,
        quote_mint=quote,
        creator=creator,
        name=args.name if args.name is not None else event.name,
        symbol=args.symbol if args.symbol is not None else event.symbol,
        uri=args.uri if args.uri is not None else event.uri,
        initial_buy_sol=buy,
        truncated=witness is not None and witness.truncated,
        extra_partial=tuple(partial),
    )


def _cpi_trades(context: InstructionContext) -> list[bytes]:
    """TradeEvents the program emitted by self-CPI later in the transaction (the logs lost
    them, or the frame has none)."""
    trades: list[bytes] = []
    for later in context.instructions[context.position + 1 :]:
        if later.program == PUMP_FUN_PROGRAM and later.depth > 1:
            data = later.data
            if data is not None and data[:16] == _CPI_TRADE:
                trades.append(data[8:])
    return trades


def _agree(from_account: str | None, from_event: str | None) -> str | None:
    if from_account and from_event:
        return from_account if from_account == from_event else None
    return from_account or from_event


def _bytes_of(key: str) -> bytes | None:
    try:
        raw = b58decode(key)
    except ValueError:
        return None
    return raw if len(raw) == 32 else None


def _found(
    *,
    mint: bytes | str | None,
    quote_mint: str | None,
    creator: bytes | str | None,
    name: str | None,
    symbol: str | None,
    uri: str | None,
    initial_buy_sol: float | None,
    truncated: bool,
    extra_partial: tuple[str, ...] = (),
) -> FoundLaunch:
    mint_text = b58encode(mint) if isinstance(mint, bytes) else mint
    creator_text = b58encode(creator) if isinstance(creator, bytes) else creator
    values = {
        "mint": mint_text,
        "creator": creator_text,
        "name": name,
        "symbol": symbol,
        "uri": uri,
        "quote_mint": quote_mint,
    }
    partial = tuple(
        dict.fromkeys(
            (*extra_partial, *(field for field in _IDENTITY_FIELDS if values[field] is None))
        )
    )
    return FoundLaunch(
        launchpad=PUMP_FUN,
        event=CREATE,
        mint=mint_text,
        quote_mint=quote_mint,
        creator=creator_text,
        name=name,
        symbol=symbol,
        uri=uri,
        initial_buy_sol=initial_buy_sol,
        truncated=truncated,
        partial=partial,
    )


# --- the synthetic source's encoder -------------------------------------------------------------


def synthetic(draw: TokenDraw) -> SyntheticLaunch:
    """A ``create_v2`` and the creator's first buy, shaped like a 2026 mainnet capture: the
    create's frame logs its line, runs the system and Token-2022 programs, prints the
    CreateEvent and emits it again by self-CPI; the buy does the same with its TradeEvent."""
    keys = [draw.keys() for _ in range(14)]
    mint, user = draw.mint, draw.creator
    quote_is_sol = b58encode(draw.quote_mint) == WRAPPED_SOL
    event = CreateEventLayout(
        draw.name, draw.symbol, draw.uri, mint, keys[1], user, creator=user,
        timestamp=draw.timestamp, token_program=_TOKEN_2022,
        quote_mint=bytes(32) if quote_is_sol else draw.quote_mint,
    ).encode()  # fmt: skip
    lamports = draw.initial_buy_lamports
    trade = TradeEventLayout(
        mint, lamports, lamports * 30, True, user, draw.timestamp, 30 * LAMPORTS_PER_SOL,
        1_073_000_000_000_000, lamports, 793_100_000_000_000,
    ).encode()  # fmt: skip
    create_data = (
        CREATE_V2_IX
        + borsh_string(draw.name)
        + borsh_string(draw.symbol)
        + borsh_string(draw.uri)
        + user
        + b"\x00"  # is_mayhem_mode; the trailing optionals omitted, as on about half of mainnet
    )
    names = [b58encode(k) for k in keys]
    create_accounts = [b58encode(mint), names[0], names[1], names[2], names[3], b58encode(user),
                       SYSTEM_PROGRAM, TOKEN_2022_PROGRAM, names[4], names[5], names[6],
                       names[7], names[8], names[9], names[10], PUMP_FUN_PROGRAM]  # fmt: skip
    buy_accounts = [names[3], names[11], b58encode(mint), names[1], names[2], names[12],
                    b58encode(user), SYSTEM_PROGRAM, TOKEN_2022_PROGRAM, names[13],
                    names[10], PUMP_FUN_PROGRAM]  # fmt: skip
    cost = 120_000 + draw.variation % 5000
    create = Invoke(
        PUMP_FUN_PROGRAM,
        (
            program_log("Instruction: CreateV2"),
            Invoke(SYSTEM_PROGRAM),
            Invoke(TOKEN_2022_PROGRAM, (program_log("Instruction: InitializeMint2"),), 1940),
            program_data_line(event),
            Invoke(PUMP_FUN_PROGRAM, (), 2000),
        ),
        cost,
    )
    buy = Invoke(
        PUMP_FUN_PROGRAM,
        (
            program_log("Instruction: Buy"),
            Invoke(SYSTEM_PROGRAM),
            program_data_line(trade),
            Invoke(PUMP_FUN_PROGRAM, (), 2000),
        ),
        40_000 + draw.variation % 3000,
    )
    instructions = (
        Instruction(PUMP_FUN_PROGRAM, create_accounts, create_data, 1),
        Instruction(SYSTEM_PROGRAM, [b58encode(user), b58encode(mint)], bytes(12), 2),
        Instruction(TOKEN_2022_PROGRAM, [b58encode(mint)], bytes((20,)), 2),
        Instruction(PUMP_FUN_PROGRAM, [names[10]], EVENT_CPI_TAG + event, 2),
        Instruction(PUMP_FUN_PROGRAM, buy_accounts, anchor_instruction("buy") + bytes(17), 1),
        Instruction(SYSTEM_PROGRAM, [b58encode(user), names[1]], bytes(12), 2),
        Instruction(PUMP_FUN_PROGRAM, [names[10]], EVENT_CPI_TAG + trade, 2),
    )
    expected = FoundLaunch(
        launchpad=PUMP_FUN,
        event=CREATE,
        mint=b58encode(mint),
        quote_mint=b58encode(draw.quote_mint),
        creator=b58encode(user),
        name=draw.name,
        symbol=draw.symbol,
        uri=draw.uri,
        initial_buy_sol=lamports / LAMPORTS_PER_SOL if quote_is_sol else None,
    )
    return SyntheticLaunch((create, buy), instructions, expected, expected)


_TOKEN_2022 = b58decode(TOKEN_2022_PROGRAM)


LAUNCHPAD = Launchpad(
    name=PUMP_FUN,
    program=PUMP_FUN_PROGRAM,
    event=CREATE,
    launch_lines=LAUNCH_LINES,
    decode_instruction=decode_instruction,
    decode_logs=decode_logs,
    synthetic=synthetic,
)
