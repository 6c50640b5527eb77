"""Launch detection: which launchpad created what, read from a transaction's logs.

How a launch looks on the wire, in short:

- pump.fun: ``Program log: Instruction: Create`` or ``... CreateV2`` inside the pump.fun invoke
  frame, then a ``Program data:`` line holding the Anchor CreateEvent, then (usually) the
  creator's first buy as a TradeEvent.
- Raydium AMM v4: ``Program log: initialize2: InitializeInstruction2 {...}`` inside the Raydium
  frame; the mints are only in the instruction's accounts, so a logs-only frame has no mint.
- PumpSwap: ``Program log: Instruction: CreatePool`` inside the PumpSwap frame, with a
  CreatePoolEvent.

Matching is on EXACT lines inside the launchpad's own frame, tracked with an invoke stack:
pump.fun's ``Instruction: CreateTokenAccount`` is not a launch, nor is the ATA program's
``Program log: Create``, nor a ``Create`` line logged by some other program in a transaction that
calls pump.fun elsewhere.

Cost: the caller hands over the log lines joined into one string; two substring scans of it reject
almost every frame before any per-line work. Only frames holding a marker walk the invoke stack.
"""

from __future__ import annotations

import base64
import binascii
import sys
from dataclasses import dataclass
from typing import Any

from solwire import instructions as ix
from solwire.base58 import b58decode, b58encode
from solwire.borsh import BorshReader, EndOfData
from solwire.logs import DATA_PREFIX, INITIALIZE2_PREFIX, LOG_PREFIX, LOG_TRUNCATED
from solwire.programs import (
    CREATE_EVENT,
    CREATE_POOL_EVENT,
    KNOWN_LAUNCHPAD_PROGRAMS,
    LAMPORTS_PER_SOL,
    PUMP_FUN,
    PUMP_FUN_PROGRAM,
    PUMP_SWAP,
    PUMP_SWAP_PROGRAM,
    RAYDIUM_AMM_V4,
    RAYDIUM_AMM_V4_PROGRAM,
    TRADE_EVENT,
    WRAPPED_SOL,
)

__all__ = ["MARKERS", "FoundLaunch", "UndecodableEvent", "find_launch", "may_hold_launch"]

_WRAPPED_SOL_BYTES = b58decode(WRAPPED_SOL)

_PUMP_CREATE_LINES = frozenset(
    ("Program log: Instruction: Create", "Program log: Instruction: CreateV2")
)
_CREATE_POOL_LINE = "Program log: Instruction: CreatePool"
_INITIALIZE2_PREFIX = INITIALIZE2_PREFIX
_LAUNCHPAD_PROGRAMS = frozenset(KNOWN_LAUNCHPAD_PROGRAMS)
_LOG = LOG_PREFIX
_DATA = DATA_PREFIX
_TRUNCATED = LOG_TRUNCATED
# base64 of TRADE_EVENT's 8 bytes begins with these 10 characters (60 of its 64 bits).
_TRADE_EVENT_LINE = DATA_PREFIX + base64.b64encode(TRADE_EVENT).decode()[:10]

if sys.version_info >= (3, 11):

    def _b64decode(text: str) -> bytes:
        """Strict base64: any character outside the alphabet or a bad padding is an error."""
        return binascii.a2b_base64(text, strict_mode=True)

else:  # pragma: no cover - Python 3.10

    def _b64decode(text: str) -> bytes:
        return base64.b64decode(text, validate=True)


# The cheap pre-filter: every launch line above contains one of these.
#: Substrings of the log text without which a transaction holds no launch (the fast path).
MARKERS = ("Instruction: Create", "initialize2: InitializeInstruction2")
_MARKERS = MARKERS

# Raydium AMM v4 initialize2: instruction tag 1; accounts [8] coin mint, [9] pc mint, [17] creator.
_RAYDIUM_INITIALIZE2_TAG = 1
_RAYDIUM_COIN_MINT, _RAYDIUM_PC_MINT, _RAYDIUM_CREATOR = 8, 9, 17


class UndecodableEvent(Exception):
    """Launch logs are present but the event data is corrupt (not base64)."""


@dataclass(frozen=True, slots=True)
class FoundLaunch:
    """What detection learned about one launch; fields the frame does not carry are None."""

    launchpad: str
    mint: str | None = None
    creator: str | None = None
    name: str | None = None
    symbol: str | None = None
    uri: str | None = None
    initial_buy_sol: float | None = None
    truncated: bool = False


def may_hold_launch(log_text: str) -> bool:
    """False when the joined logs cannot hold a launch: the fast path for most frames."""
    return _MARKERS[0] in log_text or _MARKERS[1] in log_text


def find_launch(
    logs: list[str],
    log_text: str,
    message: dict[str, Any] | None = None,
    meta: dict[str, Any] | None = None,
) -> FoundLaunch | None:
    """The first launch in a successful transaction's logs, or None.

    `message` and `meta` (the parsed transaction message and status meta, when the frame carries
    them) supply Raydium's mints and stand in for a pump.fun or PumpSwap event the logs lost.
    A frame holding two launches yields the first one only: one frame, at most one launch.
    Raises `UndecodableEvent` when pump.fun's create event is not valid base64.
    """
    if not may_hold_launch(log_text):
        return None
    scan = _scan_logs(logs)
    if scan is None:
        return None
    if scan.program == PUMP_FUN_PROGRAM:
        return _pump_fun_launch(scan, message, meta)
    if scan.program == PUMP_SWAP_PROGRAM:
        return _pump_swap_launch(scan, message, meta)
    return _raydium_launch(message, meta)


# --- the log walk ------------------------------------------------------------------------------


@dataclass(slots=True)
class _Scan:
    program: str
    #: Decoded event payloads from the launchpad's frames, the launch event first (if found).
    events: list[bytes]
    log_truncated: bool


def _scan_logs(logs: list[str]) -> _Scan | None:
    """Walk the invoke stack to the first launch line, then collect that launchpad's events.

    Lines are tested cheapest-and-commonest first. Each log entry is one item of `logs`, and only
    the runtime writes lines that do not start with "Program log: " / "Program data: ", so a
    program cannot fake an invoke or success line by logging text that looks like one.
    """
    stack: list[str] = []
    program: str | None = None  # the launchpad whose launch line was seen
    launch_event = b""
    events: list[bytes] = []
    for line in logs:
        if line.endswith(" success"):  # "Program <id> success"
            if stack and not line.startswith(_LOG):
                stack.pop()
        elif line.startswith(_LOG):
            if not stack or stack[-1] not in _LAUNCHPAD_PROGRAMS:
                continue
            top = stack[-1]
            if program is None:
                if top == PUMP_FUN_PROGRAM and line in _PUMP_CREATE_LINES:
                    program, launch_event = PUMP_FUN_PROGRAM, CREATE_EVENT
                elif top == PUMP_SWAP_PROGRAM and line == _CREATE_POOL_LINE:
                    program, launch_event = PUMP_SWAP_PROGRAM, CREATE_POOL_EVENT
                elif top == RAYDIUM_AMM_V4_PROGRAM and line.startswith(_INITIALIZE2_PREFIX):
                    # Everything Raydium tells is in the accounts; nothing more to read here.
                    return _Scan(RAYDIUM_AMM_V4_PROGRAM, events, False)
            elif program == PUMP_FUN_PROGRAM and top == program and line in _PUMP_CREATE_LINES:
                break  # a second pump.fun create: its event and trades belong to another launch
        elif line.endswith(" compute units"):  # "Program <id> consumed N of M compute units"
            continue
        elif line.startswith(_DATA):
            if program is None or not stack or stack[-1] != program:
                continue
            if events:
                # Only trades are wanted now; their base64 prefix tells them apart undecoded.
                if line.startswith(_TRADE_EVENT_LINE):
                    data = _b64decode_or_none(line[14:])
                    if data is not None and data[:8] == TRADE_EVENT:
                        events.append(data)
                continue
            data = _b64decode_or_none(line[14:])
            if data is None:
                if program == PUMP_FUN_PROGRAM:
                    raise UndecodableEvent(
                        f"pump.fun create event is not valid base64: {line[14:60]!r}"
                    )
                continue  # PumpSwap: lenient, the launch is reported without its event
            if data[:8] == launch_event:
                events.append(data)
                if program == PUMP_SWAP_PROGRAM:
                    break  # the pool event is all PumpSwap tells
        elif line.startswith("Program "):
            # "Program <id> invoke [n]" opens a frame, "Program <id> failed: <error>" closes one.
            space = line.find(" ", 8)
            if line.startswith(" invoke [", space):
                stack.append(line[8:space])
            elif stack and line.startswith(" failed", space):
                stack.pop()
        elif line.startswith(_TRUNCATED):
            if program is None:
                return None
            return _Scan(program, events, True)
    if program is None:
        return None
    return _Scan(program, events, False)


def _b64decode_or_none(text: str) -> bytes | None:
    try:
        return _b64decode(text)
    except ValueError:  # binascii.Error, and non-ASCII text
        return None


# --- pump.fun ----------------------------------------------------------------------------------


@dataclass(slots=True)
class _CreateEvent:
    name: str | None = None
    symbol: str | None = None
    uri: str | None = None
    mint: bytes | None = None
    user: bytes | None = None
    creator: bytes | None = None
    #: True once every field of the oldest (2024) layout was read.
    complete: bool = False


def _read_create_event(data: bytes) -> _CreateEvent:
    """CreateEvent: name, symbol, uri, mint, bonding_curve, user, then (2025+) creator, ...

    Lenient: the 2024 layout stops after ``user``; a cut event keeps the fields read so far.
    """
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
    except EndOfData:
        pass
    return event


def _initial_buy_sol(event: _CreateEvent, trades: list[bytes]) -> float | None:
    """The creator's first buy of the new mint in the same transaction, in SOL.

    TradeEvent: mint, sol_amount (lamports), token_amount, is_buy, user, timestamp, ...
    The buyer is the create's ``user`` (the signer), who may differ from the ``creator`` field.
    """
    if event.mint is None:
        return None
    buyers = {event.user, event.creator}
    for data in trades:
        reader = BorshReader(data, 8)
        try:
            mint = reader.pubkey_bytes()
            lamports = reader.u64()
            reader.skip(8)  # token_amount
            is_buy = reader.boolean()
            user = reader.pubkey_bytes()
        except EndOfData:
            continue
        if is_buy and mint == event.mint and user in buyers:
            return lamports / LAMPORTS_PER_SOL
    return None


def _pump_fun_launch(
    scan: _Scan, message: dict[str, Any] | None, meta: dict[str, Any] | None
) -> FoundLaunch:
    events = scan.events
    event = _read_create_event(events[0]) if events else _CreateEvent()
    initial_buy = _initial_buy_sol(event, events[1:])
    if message is not None and (not event.complete or (initial_buy is None and scan.log_truncated)):
        # The logs lost the event or the buy (truncated or cut): the self-CPI copies in the
        # instructions are independent of the log limit.
        cpi_events = ix.cpi_events(message, meta, PUMP_FUN_PROGRAM, CREATE_EVENT)
        if cpi_events:
            from_cpi = _read_create_event(cpi_events[0])
            if from_cpi.complete and (not event.complete or from_cpi.mint == event.mint):
                event = from_cpi
                initial_buy = _initial_buy_sol(from_cpi, cpi_events[1:])
    creator = event.creator if event.creator is not None else event.user
    return FoundLaunch(
        launchpad=PUMP_FUN,
        mint=b58encode(event.mint) if event.mint is not None else None,
        creator=b58encode(creator) if creator is not None else None,
        name=event.name,
        symbol=event.symbol,
        uri=event.uri,
        initial_buy_sol=initial_buy,
        truncated=scan.log_truncated or not event.complete,
    )


# --- PumpSwap ----------------------------------------------------------------------------------


def _pump_swap_launch(
    scan: _Scan, message: dict[str, Any] | None, meta: dict[str, Any] | None
) -> FoundLaunch:
    """CreatePoolEvent: timestamp i64, index u16, creator, base_mint, quote_mint, ...

    The token is base_mint, unless base is wrapped SOL and quote is not (a reversed pool).
    Unreadable event: the launch is still reported, with mint and creator None.
    """
    data = scan.events[0] if scan.events else None
    if data is None and message is not None:
        cpi_events = ix.cpi_events(message, meta, PUMP_SWAP_PROGRAM, CREATE_POOL_EVENT)
        data = cpi_events[0] if cpi_events else None
    creator = base = quote = None
    if data is not None:
        reader = BorshReader(data, 8)
        try:
            reader.skip(8 + 2)  # timestamp, index
            creator = reader.pubkey_bytes()
            base = reader.pubkey_bytes()
            quote = reader.pubkey_bytes()
        except EndOfData:
            pass
    mint = base
    if base == _WRAPPED_SOL_BYTES and quote is not None and quote != _WRAPPED_SOL_BYTES:
        mint = quote
    return FoundLaunch(
        launchpad=PUMP_SWAP,
        mint=b58encode(mint) if mint is not None else None,
        creator=b58encode(creator) if creator is not None else None,
        truncated=scan.log_truncated or quote is None,
    )


# --- Raydium AMM v4 ----------------------------------------------------------------------------


def _raydium_launch(message: dict[str, Any] | None, meta: dict[str, Any] | None) -> FoundLaunch:
    """Mint and creator from the initialize2 instruction's accounts, when the frame has them.

    The token is whichever of coin / pc mint is not wrapped SOL (the coin mint when neither is).
    ``initial_buy_sol`` stays None: initialize2 deposits pool liquidity, it is not a buy, and
    treating tens of SOL of liquidity as a creator's buy would mislead the buy-size filters.
    """
    if message is None:
        return FoundLaunch(launchpad=RAYDIUM_AMM_V4)
    keys = ix.account_keys(message, meta)
    for instruction in ix.instructions(message, meta):
        if ix.program_id(instruction, keys) != RAYDIUM_AMM_V4_PROGRAM:
            continue
        accounts = ix.accounts(instruction, keys)
        if accounts is None or len(accounts) <= _RAYDIUM_CREATOR:
            continue
        data = ix.instruction_data(instruction)
        if data is not None and data[:1] != bytes((_RAYDIUM_INITIALIZE2_TAG,)):
            continue  # another Raydium instruction in the same transaction (a swap)
        coin, pc = accounts[_RAYDIUM_COIN_MINT], accounts[_RAYDIUM_PC_MINT]
        mint = pc if coin == WRAPPED_SOL else coin
        return FoundLaunch(
            launchpad=RAYDIUM_AMM_V4, mint=mint or None, creator=accounts[_RAYDIUM_CREATOR] or None
        )
    return FoundLaunch(launchpad=RAYDIUM_AMM_V4)
