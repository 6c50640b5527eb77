"""Moonshot (Moonit): DEX Screener's bonding-curve launchpad.

Facts (shared docs, launchpads.md section 1.8; the real instruction in
``fixtures/solana/moonshot_token_mint_instruction_carbon.json``):

- Launch instruction ``token_mint`` (032ca4b87b0df5b3), log line ``Instruction: TokenMint``.
- Accounts (11): sender 0 (the creator), backend_authority 1, curve_account 2, mint 3,
  mint_metadata 4, curve_token_account 5, config_account 6, token_program 7, associated token
  program 8, mpl_token_metadata 9, system 10.
- Arguments ``TokenMintParams {name, symbol, uri, decimals u8, collateral_currency u8,
  amount u64, curve_type u8, migration_target u8}``; only the text is read. The real capture
  carries 10 more zero bytes after migration_target (meaning unknown), so nothing is assumed
  about what follows the text.
- No create event is known (carbon has none): a logs-only frame says only THAT a token was born.
  The collateral currency's mapping to a mint is not documented, so ``quote_mint`` stays None.
"""

from __future__ import annotations

import struct
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
    anchor_instruction,
)
from solwire.logs import Invoke, program_log
from solwire.programs import (
    ASSOCIATED_TOKEN_PROGRAM,
    METAPLEX_METADATA_PROGRAM,
    SYSTEM_PROGRAM,
    TOKEN_PROGRAM,
)
from solwire.txmodel import Instruction

__all__ = [
    "LAUNCHPAD",
    "NAME",
    "PROGRAM",
    "TOKEN_MINT",
    "decode_instruction",
    "decode_logs",
    "encode_token_mint_args",
    "synthetic",
]

NAME = "moonshot"
PROGRAM = "MoonCVVNZFSYkqNXP6bxHLPL6QQJiMagDL3qcqUQTrG"

TOKEN_MINT = anchor_instruction("token_mint")  # 032ca4b87b0df5b3
LAUNCH_LINE = program_log("Instruction: TokenMint")
#: The accounts ``token_mint`` requires; with fewer the roles are not trusted.
_ACCOUNTS = 11
_SENDER, _MINT = 0, 3


@dataclass(frozen=True, slots=True)
class _Text:
    name: str | None = None
    symbol: str | None = None
    uri: str | None = None


def _read_text(data: bytes) -> _Text:
    """name, symbol, uri after the discriminator, keeping what was read before a cut."""
    reader = BorshReader(data, 8)
    name = symbol = None
    try:
        name = reader.string()
        symbol = reader.string()
        return _Text(name, symbol, reader.string())
    except EndOfData:
        return _Text(name, symbol, None)


def decode_instruction(context: InstructionContext) -> FoundLaunch | None:
    """A launch from a ``token_mint`` instruction: mint and creator from its accounts, name,
    symbol and uri from its arguments."""
    instruction = context.instruction
    data = instruction.data
    if data is None or data[:8] != TOKEN_MINT:
        return None
    roles_known = len(instruction.accounts) >= _ACCOUNTS
    mint = instruction.account(_MINT) if roles_known else None
    creator = instruction.account(_SENDER) if roles_known else None
    text = _read_text(data)
    values = {
        "mint": mint,
        "creator": creator,
        "name": text.name,
        "symbol": text.symbol,
        "uri": text.uri,
    }
    partial = tuple(field for field, value in values.items() if value is None)
    return FoundLaunch(
        NAME,
        CREATE,
        mint=mint,
        creator=creator,
        name=text.name,
        symbol=text.symbol,
        uri=text.uri,
        partial=partial,
    )


def decode_logs(launch: LogLaunch) -> FoundLaunch | None:
    """The logs tell that a token was minted, nothing about it (no event is known)."""
    if launch.line != LAUNCH_LINE:
        return None
    return FoundLaunch(NAME, CREATE, truncated=launch.truncated)


# --- encoding (the synthetic source) --------------------------------------------------------------

DECIMALS = 9
#: 10**9 tokens of 9 decimals, the amount of the real capture.
AMOUNT = 10**18
_TAIL = struct.Struct("<BBQBB")  # decimals, collateral_currency, amount, curve_type, migration


def encode_token_mint_args(name: str, symbol: str, uri: str) -> bytes:
    """The data of ``token_mint``, as the real capture lays it out (without its trailing zeros)."""
    return (
        TOKEN_MINT
        + borsh_string(name)
        + borsh_string(symbol)
        + borsh_string(uri)
        + _TAIL.pack(DECIMALS, 0, AMOUNT, 1, 0)
    )


def _step(
    program: str,
    accounts: tuple[str, ...],
    data: bytes,
    log: str | None,
    cost: int,
    out: list[Instruction],
) -> Invoke:
    out.append(Instruction(program, list(accounts), data, 2))
    return Invoke(program, (program_log(log),) if log else (), cost)


def synthetic(draw: TokenDraw) -> SyntheticLaunch:
    """A ``token_mint``. No real capture of its logs was found: its inner calls are built from
    its account list (system, SPL Token mint, Metaplex metadata, the curve's token account,
    the supply minted to it), with compute costs of the same SPL calls in other captures."""

    def key() -> str:
        return b58encode(draw.keys())

    sender, mint = b58encode(draw.creator), b58encode(draw.mint)
    backend, curve, metadata, curve_tokens, config = key(), key(), key(), key(), key()
    accounts = (
        sender,
        backend,
        curve,
        mint,
        metadata,
        curve_tokens,
        config,
        TOKEN_PROGRAM,
        ASSOCIATED_TOKEN_PROGRAM,
        METAPLEX_METADATA_PROGRAM,
        SYSTEM_PROGRAM,
    )
    inner: list[Instruction] = []
    create = struct.pack("<IQQ", 0, 1_461_600, 82) + b58decode(TOKEN_PROGRAM)
    body: tuple[str | Invoke, ...] = (
        LAUNCH_LINE,
        _step(SYSTEM_PROGRAM, (sender, mint), create, None, 0, inner),
        _step(
            TOKEN_PROGRAM,
            (mint,),
            b"\x14" + bytes((DECIMALS,)) + b58decode(curve) + b"\x00",
            "Instruction: InitializeMint2",
            2780,
            inner,
        ),
        _step(
            METAPLEX_METADATA_PROGRAM,
            (metadata, mint, curve, sender, curve),
            b"\x21" + borsh_string(draw.name) + borsh_string(draw.symbol) + borsh_string(draw.uri),
            "IX: Create Metadata Accounts v3",
            35808,
            inner,
        ),
        _step(
            ASSOCIATED_TOKEN_PROGRAM,
            (sender, curve_tokens, curve, mint, SYSTEM_PROGRAM, TOKEN_PROGRAM),
            b"",
            "Create",
            20000,
            inner,
        ),
        _step(
            TOKEN_PROGRAM,
            (mint, curve_tokens, curve),
            b"\x07" + struct.pack("<Q", AMOUNT),
            "Instruction: MintTo",
            4492,
            inner,
        ),
    )
    launch = Invoke(PROGRAM, body, 48_000 + draw.variation % 4000)
    data = encode_token_mint_args(draw.name, draw.symbol, draw.uri)
    instructions = (Instruction(PROGRAM, list(accounts), data, 1), *inner)
    return SyntheticLaunch(
        invokes=(launch,),
        instructions=instructions,
        from_logs=FoundLaunch(NAME, CREATE),
        from_instruction=FoundLaunch(
            NAME,
            CREATE,
            mint=mint,
            creator=sender,
            name=draw.name,
            symbol=draw.symbol,
            uri=draw.uri,
        ),
    )


LAUNCHPAD = Launchpad(
    name=NAME,
    program=PROGRAM,
    event=CREATE,
    launch_lines=frozenset({LAUNCH_LINE}),
    decode_instruction=decode_instruction,
    decode_logs=decode_logs,
    synthetic=synthetic,
)
