"""PumpSwap: the AMM pump.fun tokens graduate into.

Program ``pAMMBay6oceH9fJKBRHGP5D4bD4sWpmSwMn52FMfXEA``. A pool opens with ``create_pool``, called
directly or, for a graduation, by pump.fun's ``migrate`` / ``migrate_v2`` (then at invoke depth 2);
either way the PumpSwap frame logs exactly ``Program log: Instruction: CreatePool`` and a
CreatePoolEvent. Its discriminator equals Raydium CLMM's ``create_pool``: only the program tells
them apart, which is how detection dispatches.

Accounts: pool 0, global_config 1, creator 2, base_mint 3, quote_mint 4. The token is the base
mint (the contract's rule): the role comes from the layout. One exception: a "reversed" pool whose
base is a well-known quote mint (wrapped SOL, USDC) and whose quote is not; reporting wrapped SOL
as a new token would send a buy engine after SOL, so there the sides are swapped.
CreatePoolEvent: timestamp i64, index u16, creator, base_mint, quote_mint, ... (lenient).
"""

from __future__ import annotations

import binascii
import struct

from solwire.base58 import b58encode
from solwire.borsh import BorshReader, EndOfData
from solwire.launchpads._base import (
    POOL,
    FoundLaunch,
    InstructionContext,
    Launchpad,
    LogLaunch,
    SyntheticLaunch,
    TokenDraw,
    anchor_event,
    anchor_instruction,
)
from solwire.logs import Invoke, program_data_line, program_log
from solwire.programs import (
    EVENT_CPI_TAG,
    PUMP_FUN_PROGRAM,
    PUMP_SWAP,
    PUMP_SWAP_PROGRAM,
    SYSTEM_PROGRAM,
)
from solwire.quotes import KNOWN_QUOTES
from solwire.txmodel import Instruction

__all__ = ["CREATE_POOL_EVENT", "CREATE_POOL_IX", "LAUNCHPAD"]

CREATE_POOL_IX = anchor_instruction("create_pool")
CREATE_POOL_EVENT = anchor_event("CreatePoolEvent")
LAUNCH_LINES = frozenset(("Program log: Instruction: CreatePool",))
_CREATOR, _BASE_MINT, _QUOTE_MINT = 2, 3, 4
_FIELDS = ("mint", "quote_mint", "creator")


def _read_event(data: bytes) -> tuple[str | None, str | None, str | None]:
    """(creator, base mint, quote mint) of a CreatePoolEvent, as far as the bytes go."""
    creator = base = quote = None
    reader = BorshReader(data, 8)
    try:
        reader.skip(8 + 2)  # timestamp, index
        creator = b58encode(reader.pubkey_bytes())
        base = b58encode(reader.pubkey_bytes())
        quote = b58encode(reader.pubkey_bytes())
    except EndOfData:
        pass
    return creator, base, quote


def _event_from_logs(launch: LogLaunch) -> bytes | None:
    for text in launch.events:
        try:
            data = binascii.a2b_base64(text, strict_mode=True)
        except ValueError:
            continue  # lenient: the pool is reported without what its event would have told
        if data[:8] == CREATE_POOL_EVENT:
            return data
    return None


def decode_logs(launch: LogLaunch) -> FoundLaunch:
    data = _event_from_logs(launch)
    if data is None:
        data = next((e for e in launch.cpi_events if e[:8] == CREATE_POOL_EVENT), None)
    creator, base, quote = _read_event(data) if data is not None else (None, None, None)
    return _found(base, quote, creator, launch.truncated or quote is None)


def decode_instruction(context: InstructionContext) -> FoundLaunch | None:
    instruction = context.instruction
    data = instruction.data
    if data is None or data[:8] != CREATE_POOL_IX:
        return None
    base = instruction.account(_BASE_MINT)
    quote = instruction.account(_QUOTE_MINT)
    creator = instruction.account(_CREATOR)
    event = next((e for e in context.cpi_events() if e[:8] == CREATE_POOL_EVENT), None)
    witness = context.witness()
    if event is None and witness is not None:
        event = _event_from_logs(witness)
    disagree: list[str] = []
    if event is not None:
        event_creator, event_base, event_quote = _read_event(event)
        base = _agree(base, event_base, "mint", disagree)
        quote = _agree(quote, event_quote, "quote_mint", disagree)
        creator = creator or event_creator
    truncated = witness is not None and witness.truncated
    return _found(base, quote, creator, truncated or event is None, tuple(disagree))


def _agree(account: str | None, event: str | None, field: str, disagree: list[str]) -> str | None:
    if account and event and account != event:
        disagree.append(field)
        return None
    return account or event


def _found(
    base: str | None,
    quote: str | None,
    creator: str | None,
    truncated: bool,
    disagree: tuple[str, ...] = (),
) -> FoundLaunch:
    if base in KNOWN_QUOTES and quote is not None and quote not in KNOWN_QUOTES:
        base, quote = quote, base  # a reversed pool: see the module docstring
    values = {"mint": base, "quote_mint": quote, "creator": creator}
    partial = tuple(dict.fromkeys((*disagree, *(f for f in _FIELDS if values[f] is None))))
    return FoundLaunch(
        launchpad=PUMP_SWAP,
        event=POOL,
        mint=base,
        quote_mint=quote,
        creator=creator,
        truncated=truncated,
        partial=partial,
    )


# --- the synthetic source's encoder -------------------------------------------------------------

#: pump.fun's migration instruction (``migrate``): how a graduation reaches PumpSwap.
_MIGRATE_IX = anchor_instruction("migrate")


def encode_create_pool_event(
    timestamp: int, creator: bytes, base_mint: bytes, quote_mint: bytes, base: int, quote: int
) -> bytes:
    """The head of a CreatePoolEvent: timestamp, index, creator, base, quote, decimals, amounts."""
    return (
        CREATE_POOL_EVENT
        + struct.pack("<qH", timestamp, 0)
        + creator
        + base_mint
        + quote_mint
        + struct.pack("<BBQQ", 6, 9, base, quote)
    )


def synthetic(draw: TokenDraw) -> SyntheticLaunch:
    """A graduation: pump.fun's ``migrate`` calls PumpSwap's ``create_pool`` at depth 2 for the
    draw's mint (base) against its quote; the pool logs its line and the CreatePoolEvent."""
    keys = [b58encode(draw.keys()) for _ in range(8)]
    base_amount, quote_amount = 206_900_000_000_000, 84_990_359_651 + draw.variation % 10**6
    event = encode_create_pool_event(
        draw.timestamp, draw.creator, draw.mint, draw.quote_mint, base_amount, quote_amount
    )
    mint, quote, creator = b58encode(draw.mint), b58encode(draw.quote_mint), b58encode(draw.creator)
    pool_accounts = [keys[0], keys[1], creator, mint, quote, keys[2], keys[3], keys[4], keys[5]]
    pool_data = CREATE_POOL_IX + struct.pack("<HQQ", 0, base_amount, quote_amount) + draw.creator
    create_pool = Invoke(
        PUMP_SWAP_PROGRAM,
        (
            program_log("Instruction: CreatePool"),
            Invoke(SYSTEM_PROGRAM),
            program_data_line(event),
            Invoke(PUMP_SWAP_PROGRAM, (), 2000),
        ),
        60_000 + draw.variation % 4000,
    )
    migrate = Invoke(PUMP_FUN_PROGRAM, (program_log("Instruction: Migrate"), create_pool), 30_000)
    instructions = (
        Instruction(PUMP_FUN_PROGRAM, [keys[6], mint, keys[7]], _MIGRATE_IX, 1),
        Instruction(PUMP_SWAP_PROGRAM, pool_accounts, pool_data, 2),
        Instruction(SYSTEM_PROGRAM, [creator, keys[0]], bytes(12), 3),
        Instruction(PUMP_SWAP_PROGRAM, [keys[5]], EVENT_CPI_TAG + event, 3),
    )
    expected = FoundLaunch(
        launchpad=PUMP_SWAP, event=POOL, mint=mint, quote_mint=quote, creator=creator
    )
    return SyntheticLaunch((migrate,), instructions, expected, expected)


LAUNCHPAD = Launchpad(
    name=PUMP_SWAP,
    program=PUMP_SWAP_PROGRAM,
    event=POOL,
    launch_lines=LAUNCH_LINES,
    decode_instruction=decode_instruction,
    decode_logs=decode_logs,
    synthetic=synthetic,
)
