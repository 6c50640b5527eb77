"""Encoders for what Solana launch transactions look like on the wire.

Everything here produces bytes or log lines in the formats of real mainnet transactions (see
`/work/shared/docs/solana.md` and the captured samples in `/work/shared/fixtures/solana/`):

* base58 for public keys (32 bytes) and signatures (64 bytes);
* the Borsh events pump.fun prints as ``Program data: <base64>``: the ``CreateEvent`` in its 2024
  layout (name, symbol, uri, mint, bonding_curve, user) and its current layout (the same plus
  creator, timestamp, reserves, token program, mode flags, quote mint), and the ``TradeEvent``;
* the Raydium AMM v4 ``ray_log`` records: ``InitLog`` (pool creation) and ``SwapBaseInLog``;
* a tiny model of program invocations (`Invoke`) rendered into the runtime's log lines
  (``invoke [depth]``, ``consumed X of Y compute units``, ``success`` / ``failed``), so the
  compute-unit arithmetic of a synthetic transaction stays consistent line by line;
* the ``logsNotification`` envelope of a ``logsSubscribe`` websocket.

Only encoders live here: decoding is the detector's business, and its tests should not trust an
encoder written by the same hands.
"""

from __future__ import annotations

import base64
import functools
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

# --- program ids (mainnet) -------------------------------------------------------------------

PUMP_FUN_PROGRAM = "6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P"
PUMP_FEE_PROGRAM = "pfeeUxB6jkeY1Hxd7CsFCAjcbHA9rWtchMGdZ6VojVZ"
RAYDIUM_AMM_V4_PROGRAM = "675kPX9MHTjS2zt1qfr1NYHuzeLXfQM9H24wFSUt1Mp8"
RAYDIUM_ROUTE_PROGRAM = "routeUGWgWzqBWFcrCfv8tritsqukccJPu3q5GPP3xS"
OPENBOOK_PROGRAM = "srmqPvymJeFKQ4zGQed1GFppgkRHL9kaELCbyksJtPX"
SYSTEM_PROGRAM = "11111111111111111111111111111111"
COMPUTE_BUDGET_PROGRAM = "ComputeBudget111111111111111111111111111111"
TOKEN_PROGRAM = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"
TOKEN_2022_PROGRAM = "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb"
ASSOCIATED_TOKEN_PROGRAM = "ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL"
METAPLEX_METADATA_PROGRAM = "metaqbxxUerdq28cj1RbAWkYQm3ybzjb6a8bt518x1s"
MEMO_PROGRAM = "MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr"
WRAPPED_SOL_MINT = "So11111111111111111111111111111111111111112"

#: Native programs: the runtime prints no ``consumed`` line for them.
BUILTIN_PROGRAMS = frozenset({SYSTEM_PROGRAM, COMPUTE_BUDGET_PROGRAM})
#: Compute units a builtin instruction costs.
BUILTIN_COST = 150

# --- Anchor event discriminators (first 8 bytes of sha256("event:<Name>")) -----------------

CREATE_EVENT_DISCRIMINATOR = bytes.fromhex("1b72a94ddeeb6376")
TRADE_EVENT_DISCRIMINATOR = bytes.fromhex("bddb7fd34ee661ee")

# --- pump.fun bonding-curve constants (as printed by real CreateEvents) -----------------------

INITIAL_VIRTUAL_TOKEN_RESERVES = 1_073_000_000_000_000
INITIAL_VIRTUAL_SOL_RESERVES = 30_000_000_000
INITIAL_REAL_TOKEN_RESERVES = 793_100_000_000_000
TOKEN_TOTAL_SUPPLY = 1_000_000_000_000_000
LAMPORTS_PER_SOL = 1_000_000_000

#: The runtime's log collector stops at this many bytes of log text and prints ``Log truncated``.
LOG_BYTES_LIMIT = 10_000
LOG_TRUNCATED = "Log truncated"

# --- base58 --------------------------------------------------------------------------------

B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(B58_ALPHABET)}
# Two base58 digits per division: half the big-integer divisions of the textbook loop.
_B58_PAIRS = tuple(a + b for a in B58_ALPHABET for b in B58_ALPHABET)
_B58_PAIR_BASE = 58 * 58


def b58encode(data: bytes) -> str:
    """Bitcoin-alphabet base58 of `data`, as Solana shows keys and signatures."""
    n = int.from_bytes(data, "big")
    digits: list[str] = []
    append = digits.append
    while n:
        n, rem = divmod(n, _B58_PAIR_BASE)
        append(_B58_PAIRS[rem])
    digits.reverse()
    text = "".join(digits).lstrip("1")
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + text


_B58_BYTE_TABLE = bytes(ord(B58_ALPHABET[i % 58]) for i in range(256))
SIGNATURE_ENTROPY_BYTES = 88


def signature_from_entropy(raw: bytes) -> str:
    """A base58 transaction signature (88 characters, decoding to exactly 64 bytes) spelled
    directly from 88 random bytes, a tenth of the cost of encoding 64 random bytes.

    The first digit is 2-5, so the value lies in [58**87, 5 * 58**87), inside [2**504, 2**512):
    64 bytes without a leading zero byte.
    """
    head = B58_ALPHABET[1 + raw[0] % 4]
    return head + raw[1:SIGNATURE_ENTROPY_BYTES].translate(_B58_BYTE_TABLE).decode("ascii")


def b58decode(text: str) -> bytes:
    """Inverse of `b58encode` (for tests and tools; not used on the hot path)."""
    n = 0
    for char in text:
        n = n * 58 + _B58_INDEX[char]
    zeros = len(text) - len(text.lstrip("1"))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    return b"\0" * zeros + body


def pubkey_with_suffix(entropy: int, suffix: str) -> bytes:
    """A 32-byte key whose base58 form ends with `suffix`, built without grinding.

    Since late 2024 pump.fun mints are vanity addresses ending in ``pump``. The last k base58
    digits of a number are the number modulo 58**k, so the key is ``q * 58**k + value(suffix)``
    with ``q`` taken from `entropy`, kept below 2**256 and above 2**248 (no leading zero byte, so
    always 43-44 characters).
    """
    k = len(suffix)
    tail = 0
    for char in suffix:
        tail = tail * 58 + _B58_INDEX[char]
    modulus = 58**k
    low = -(-(1 << 248) // modulus)
    high = ((1 << 256) - 1 - tail) // modulus
    q = low + entropy % (high - low)
    return (q * modulus + tail).to_bytes(32, "big")


# --- Borsh ---------------------------------------------------------------------------------

_U32 = struct.Struct("<I")


def borsh_string(text: str) -> bytes:
    """A Borsh ``String``: u32 little-endian byte length, then UTF-8 bytes."""
    raw = text.encode("utf-8")
    return _U32.pack(len(raw)) + raw


_CREATE_V2_TAIL = struct.Struct("<32sq4Q32s??32sQ")


@dataclass(frozen=True, slots=True)
class CreateEvent:
    """pump.fun's ``CreateEvent``.

    With ``creator`` left as None it encodes in the 2024 layout, which stops after ``user``
    (201 bytes for 7/7/71-byte strings); otherwise in the current layout (the ``CreateV2``
    era), which appends creator, timestamp, the four reserve/supply counters, token_program,
    is_mayhem_mode, is_cashback_enabled, quote_mint and virtual_quote_reserves.
    """

    name: str
    symbol: str
    uri: str
    mint: bytes
    bonding_curve: bytes
    user: bytes
    creator: bytes | None = None
    timestamp: int = 0
    virtual_token_reserves: int = INITIAL_VIRTUAL_TOKEN_RESERVES
    virtual_sol_reserves: int = INITIAL_VIRTUAL_SOL_RESERVES
    real_token_reserves: int = INITIAL_REAL_TOKEN_RESERVES
    token_total_supply: int = TOKEN_TOTAL_SUPPLY
    token_program: bytes = b"\0" * 32
    is_mayhem_mode: bool = False
    is_cashback_enabled: bool = False
    quote_mint: bytes = b"\0" * 32
    virtual_quote_reserves: int = INITIAL_VIRTUAL_SOL_RESERVES

    def encode(self) -> bytes:
        head = b"".join(
            (
                CREATE_EVENT_DISCRIMINATOR,
                borsh_string(self.name),
                borsh_string(self.symbol),
                borsh_string(self.uri),
                self.mint,
                self.bonding_curve,
                self.user,
            )
        )
        if self.creator is None:
            return head
        return head + _CREATE_V2_TAIL.pack(
            self.creator,
            self.timestamp,
            self.virtual_token_reserves,
            self.virtual_sol_reserves,
            self.real_token_reserves,
            self.token_total_supply,
            self.token_program,
            self.is_mayhem_mode,
            self.is_cashback_enabled,
            self.quote_mint,
            self.virtual_quote_reserves,
        )


_TRADE_HEAD = struct.Struct("<8s32sQQ?32sq4Q")
_TRADE_FEES = struct.Struct("<32sQQ32sQQ?QQQq")


@dataclass(frozen=True, slots=True)
class TradeEvent:
    """pump.fun's ``TradeEvent`` (Buy and Sell).

    The 2024 layout is mint, sol_amount (lamports), token_amount, is_buy, user, timestamp,
    virtual_sol_reserves, virtual_token_reserves, real_sol_reserves, real_token_reserves
    (129 bytes). With ``fee_recipient`` set, the fee fields of the later program follow (fee
    recipient, fee basis points and amount, creator, creator fee basis points and amount,
    track_volume, four volume counters, ix_name); the newest program appends further fields
    after ix_name, which this encoder does not produce (a lenient decoder reads a prefix).
    """

    mint: bytes
    sol_amount: int
    token_amount: int
    is_buy: bool
    user: bytes
    timestamp: int
    virtual_sol_reserves: int
    virtual_token_reserves: int
    real_sol_reserves: int
    real_token_reserves: int
    fee_recipient: bytes | None = None
    fee_basis_points: int = 95
    fee: int = 0
    creator: bytes = b"\0" * 32
    creator_fee_basis_points: int = 30
    creator_fee: int = 0

    def encode(self) -> bytes:
        head = _TRADE_HEAD.pack(
            TRADE_EVENT_DISCRIMINATOR,
            self.mint,
            self.sol_amount,
            self.token_amount,
            self.is_buy,
            self.user,
            self.timestamp,
            self.virtual_sol_reserves,
            self.virtual_token_reserves,
            self.real_sol_reserves,
            self.real_token_reserves,
        )
        if self.fee_recipient is None:
            return head
        fees = _TRADE_FEES.pack(
            self.fee_recipient,
            self.fee_basis_points,
            self.fee,
            self.creator,
            self.creator_fee_basis_points,
            self.creator_fee,
            False,
            0,
            0,
            0,
            0,
        )
        return head + fees + borsh_string("buy" if self.is_buy else "sell")


def tokens_for_sol(sol_in: int, virtual_sol: int, virtual_tokens: int) -> int:
    """Tokens a buy of `sol_in` lamports receives on a constant-product bonding curve."""
    return virtual_tokens * sol_in // (virtual_sol + sol_in)


def sol_for_tokens(tokens_in: int, virtual_sol: int, virtual_tokens: int) -> int:
    """Lamports a sell of `tokens_in` receives on a constant-product bonding curve."""
    return virtual_sol * tokens_in // (virtual_tokens + tokens_in)


# --- Raydium AMM v4 ray_log ------------------------------------------------------------------

_RAY_INIT = struct.Struct("<BQBBQQQQ32s")
_RAY_SWAP_BASE_IN = struct.Struct("<B7Q")
RAY_LOG_INIT = 0
RAY_LOG_SWAP_BASE_IN = 3


def encode_ray_init_log(
    *,
    time: int,
    pc_decimals: int,
    coin_decimals: int,
    pc_lot_size: int,
    coin_lot_size: int,
    pc_amount: int,
    coin_amount: int,
    market: bytes,
) -> bytes:
    """Raydium's ``InitLog`` (75 bytes, first byte 0)."""
    return _RAY_INIT.pack(
        RAY_LOG_INIT,
        time,
        pc_decimals,
        coin_decimals,
        pc_lot_size,
        coin_lot_size,
        pc_amount,
        coin_amount,
        market,
    )


def encode_ray_swap_base_in_log(
    *,
    amount_in: int,
    minimum_out: int,
    direction: int,
    user_source: int,
    pool_coin: int,
    pool_pc: int,
    out_amount: int,
) -> bytes:
    """Raydium's ``SwapBaseInLog`` (57 bytes, first byte 3)."""
    return _RAY_SWAP_BASE_IN.pack(
        RAY_LOG_SWAP_BASE_IN,
        amount_in,
        minimum_out,
        direction,
        user_source,
        pool_coin,
        pool_pc,
        out_amount,
    )


# --- log lines -------------------------------------------------------------------------------


def program_data_line(payload: bytes) -> str:
    """``Program data: <base64>``, the line ``sol_log_data`` (Anchor ``emit!``) prints."""
    return "Program data: " + base64.b64encode(payload).decode("ascii")


def program_log(message: str) -> str:
    """``Program log: <message>``, the line ``msg!`` prints."""
    return "Program log: " + message


def ray_log_line(payload: bytes) -> str:
    return "Program log: ray_log: " + base64.b64encode(payload).decode("ascii")


def initialize2_line(nonce: int, open_time: int, init_pc_amount: int, init_coin_amount: int) -> str:
    """Raydium's debug print of the ``initialize2`` arguments."""
    return (
        "Program log: initialize2: InitializeInstruction2 { "
        f"nonce: {nonce}, open_time: {open_time}, "
        f"init_pc_amount: {init_pc_amount}, init_coin_amount: {init_coin_amount} }}"
    )


def anchor_error_line(file: str, line: int, code_name: str, number: int, message: str) -> str:
    """The line Anchor prints when a program returns an ``AnchorError`` from source code."""
    return (
        f"Program log: AnchorError thrown in {file}:{line}. Error Code: {code_name}. "
        f"Error Number: {number}. Error Message: {message}."
    )


@dataclass(frozen=True, slots=True)
class Invoke:
    """One program invocation: what it logs, the programs it calls, what it costs.

    `body` holds log lines (already prefixed, e.g. ``Program log: ...``) and nested invocations
    in the order they happen. `cost` is what the program spends itself; the ``consumed`` line adds
    its children. `returns` prints a ``Program return:`` line after ``consumed``. `fails_with`
    makes the invocation end in ``failed: custom program error: 0x..`` and stops the
    transaction there (its error log lines belong in `body`). A `static` invocation (a
    module-level constant, never rebuilt) has its lines worked out once per depth and reused.
    """

    program: str
    body: tuple[str | Invoke, ...] = ()
    cost: int = 0
    returns: str | None = None
    fails_with: int | None = None
    static: bool = False


# A static invocation compiles to a list of ops: a finished line, or a ``consumed`` line waiting
# for the units left when its program was invoked (``remaining - offset``, with remaining counted
# where the compiled invocation starts).
_Op = str | tuple[str, int, str]
_COMPILED: dict[tuple[int, int], tuple[Invoke, list[_Op], int]] = {}


class _Failed(Exception):
    pass


def render_logs(instructions: Iterable[Invoke], compute_limit: int) -> list[str]:
    """The log messages the runtime records for these top-level instructions.

    ``consumed X of Y``: Y is what was left when the program was invoked, X what it used
    including its children. Builtins (System, ComputeBudget) print no ``consumed`` line. A
    failing invocation ends the transaction: nothing after it is logged.
    """
    out: list[str] = []
    remaining = compute_limit
    try:
        for instruction in instructions:
            remaining -= _emit(instruction, 1, remaining, out)
    except _Failed:
        pass
    return out


def _emit(node: Invoke, depth: int, remaining: int, out: list[str]) -> int:
    if node.static:
        ops, used = _compiled(node, depth)
        append = out.append
        for op in ops:
            if isinstance(op, str):
                append(op)
            else:
                append(f"{op[0]}{remaining - op[1]}{op[2]}")
        return used
    program = node.program
    out.append(f"Program {program} invoke [{depth}]")
    if program in BUILTIN_PROGRAMS:
        out.extend(item for item in node.body if isinstance(item, str))
        out.append(f"Program {program} success")
        return BUILTIN_COST
    children = sum(1 for item in node.body if not isinstance(item, str))
    step = node.cost // (children + 1)
    used = 0
    for item in node.body:
        if isinstance(item, str):
            out.append(item)
        else:
            used += step
            used += _emit(item, depth + 1, remaining - used, out)
    used += node.cost - step * children
    out.append(f"Program {program} consumed {used} of {remaining} compute units")
    if node.returns is not None:
        out.append(f"Program return: {program} {node.returns}")
    if node.fails_with is not None:
        out.append(f"Program {program} failed: custom program error: {node.fails_with:#x}")
        raise _Failed
    out.append(f"Program {program} success")
    return used


def _compiled(node: Invoke, depth: int) -> tuple[list[_Op], int]:
    key = (id(node), depth)
    hit = _COMPILED.get(key)
    if hit is None:
        ops: list[_Op] = []
        used = _compile(node, depth, 0, ops)
        # holding `node` in the value keeps its id from being reused by another object
        hit = _COMPILED[key] = (node, ops, used)
    return hit[1], hit[2]


def _compile(node: Invoke, depth: int, offset: int, ops: list[_Op]) -> int:
    """`_emit` with the remaining units left symbolic (``remaining - offset``)."""
    if node.fails_with is not None:
        raise ValueError("a static invocation cannot fail")
    program = node.program
    ops.append(f"Program {program} invoke [{depth}]")
    if program in BUILTIN_PROGRAMS:
        ops.extend(item for item in node.body if isinstance(item, str))
        ops.append(f"Program {program} success")
        return BUILTIN_COST
    children = sum(1 for item in node.body if not isinstance(item, str))
    step = node.cost // (children + 1)
    used = 0
    for item in node.body:
        if isinstance(item, str):
            ops.append(item)
        else:
            used += step
            used += _compile(item, depth + 1, offset + used, ops)
    used += node.cost - step * children
    ops.append((f"Program {program} consumed {used} of ", offset, " compute units"))
    if node.returns is not None:
        ops.append(f"Program return: {program} {node.returns}")
    ops.append(f"Program {program} success")
    return used


def truncate_logs(
    logs: Sequence[str], keep: int, limit: int = LOG_BYTES_LIMIT, filler_first: bool = True
) -> list[str]:
    """Logs cut by the runtime's byte limit right after ``logs[:keep]``.

    Real transactions reach the 10 kB limit through many instructions; this prepends filler
    instructions (System transfers and one Memo, both common in bundled launches) so that the
    byte count crosses `limit` exactly at line `keep`, then ends with ``Log truncated``.
    """
    if not filler_first:
        return [*logs[:keep], LOG_TRUNCATED]
    kept = sum(len(line) for line in logs[:keep])
    next_len = len(logs[keep]) if keep < len(logs) else 1
    # Want: kept + filler <= limit < kept + filler + next_len.
    target_high = limit - kept
    target_low = target_high - next_len + 1
    transfer = [f"Program {SYSTEM_PROGRAM} invoke [1]", f"Program {SYSTEM_PROGRAM} success"]
    transfer_bytes = sum(len(line) for line in transfer)
    memo_lines = _memo_lines(0, 0)
    memo_fixed = sum(len(line) for line in memo_lines)
    transfers = max(0, (target_low - memo_fixed - 60) // transfer_bytes)
    memo_len = max(0, target_low - transfers * transfer_bytes - memo_fixed)
    # the memo's length digits change the fixed part: settle it
    for _ in range(3):
        fixed = sum(len(line) for line in _memo_lines(memo_len, 0)) - memo_len
        memo_len = max(0, target_low - transfers * transfer_bytes - fixed)
    memo = _memo_lines(memo_len, 0)
    filler = memo + transfer * transfers
    return [*filler, *logs[:keep], LOG_TRUNCATED]


def _memo_lines(length: int, remaining: int) -> list[str]:
    text = ("gm " * (length // 3 + 1))[:length]
    return [
        f"Program {MEMO_PROGRAM} invoke [1]",
        f'Program log: Memo (len {length}): "{text}"',
        f"Program {MEMO_PROGRAM} consumed {7000 + 6 * length} of {remaining or 1400000} "
        "compute units",
        f"Program {MEMO_PROGRAM} success",
    ]


# --- the websocket envelope ------------------------------------------------------------------


def logs_notification(
    *, slot: int, signature: str, err: Any, logs: list[str], subscription: int
) -> bytes:
    """A ``logsSubscribe`` notification, keys in the order an Agave node sends them."""
    return orjson.dumps(
        {
            "jsonrpc": "2.0",
            "method": "logsNotification",
            "params": {
                "result": {
                    "context": {"slot": slot},
                    "value": {"signature": signature, "err": err, "logs": logs},
                },
                "subscription": subscription,
            },
        }
    )


# --- transaction shapes ----------------------------------------------------------------------
#
# Each builder returns the top-level instructions of one transaction, copying the invocation
# structure of a real capture: which programs run at which depth, what they log, and the compute
# units the SPL programs charge (those are constant per instruction on mainnet). `extra` shifts the
# launchpad program's own cost so that consecutive synthetic transactions do not look cloned.

PUMP_FEES_RETURN = "AAAAAAAAAABfAAAAAAAAAB4AAAAAAAAA"  # GetFees: lp 0, protocol 95, creator 30 bps
_TOKEN_SIZE_RETURN = "pQAAAAAAAAA="  # GetAccountDataSize: 165
_TOKEN_2022_SIZE_RETURN = "qgAAAAAAAAA="  # GetAccountDataSize: 170

SYSTEM_IX = Invoke(SYSTEM_PROGRAM, static=True)
COMPUTE_BUDGET_IX = Invoke(COMPUTE_BUDGET_PROGRAM, static=True)


@functools.cache
def _token(message: str, cost: int, program: str = TOKEN_PROGRAM) -> Invoke:
    """An SPL Token instruction that logs its name: a shared, static invocation."""
    return Invoke(program, (program_log(message),), cost, static=True)


@functools.cache
def ata_create(token_program: str = TOKEN_PROGRAM, instruction: str = "Create") -> Invoke:
    """The Associated Token Account program creating one token account (a static invocation)."""
    if token_program == TOKEN_PROGRAM:
        body: tuple[str | Invoke, ...] = (
            program_log(instruction),
            Invoke(
                TOKEN_PROGRAM,
                (program_log("Instruction: GetAccountDataSize"),),
                1595,
                _TOKEN_SIZE_RETURN,
            ),
            SYSTEM_IX,
            program_log("Initialize the associated token account"),
            Invoke(
                TOKEN_PROGRAM,
                (
                    program_log("Instruction: InitializeImmutableOwner"),
                    program_log("Please upgrade to SPL Token 2022 for immutable owner support"),
                ),
                1405,
            ),
            _token("Instruction: InitializeAccount3", 4214),
        )
        return Invoke(ASSOCIATED_TOKEN_PROGRAM, body, 14626, static=True)
    body = (
        program_log(instruction),
        Invoke(
            TOKEN_2022_PROGRAM,
            (program_log("Instruction: GetAccountDataSize"),),
            1447,
            _TOKEN_2022_SIZE_RETURN,
        ),
        SYSTEM_IX,
        program_log("Initialize the associated token account"),
        _token("Instruction: InitializeImmutableOwner", 736, TOKEN_2022_PROGRAM),
        _token("Instruction: InitializeAccount3", 1969, TOKEN_2022_PROGRAM),
    )
    return Invoke(ASSOCIATED_TOKEN_PROGRAM, body, 12645, static=True)


ATA_CREATE_LEGACY = ata_create()
ATA_CREATE_2022 = ata_create(TOKEN_2022_PROGRAM)
ATA_CREATE_IDEMPOTENT_2022 = ata_create(TOKEN_2022_PROGRAM, "CreateIdempotent")
_PUMP_EVENT_CPI_LEGACY = Invoke(PUMP_FUN_PROGRAM, (), 2003, static=True)
_PUMP_EVENT_CPI = Invoke(PUMP_FUN_PROGRAM, (), 2125, static=True)
_METAPLEX_CREATE = Invoke(
    METAPLEX_METADATA_PROGRAM,
    (
        program_log("IX: Create Metadata Accounts v3"),
        SYSTEM_IX,
        program_log("Allocate space for the account"),
        SYSTEM_IX,
        program_log("Assign the account to the owning program"),
        SYSTEM_IX,
    ),
    35808,
    static=True,
)
_OPENBOOK_INIT = Invoke(OPENBOOK_PROGRAM, (), 2319, static=True)
_TRANSFER = _token("Instruction: Transfer", 4645)
_TRANSFER_OTHER = _token("Instruction: Transfer", 4736)
_TRANSFER_CHECKED_2022 = _token("Instruction: TransferChecked", 2562, TOKEN_2022_PROGRAM)
_GET_FEES = Invoke(
    PUMP_FEE_PROGRAM, (program_log("Instruction: GetFees"),), 3302, PUMP_FEES_RETURN, static=True
)

#: The pump.fun slippage error: the creator's buy cost more than its cap.
PUMP_TOO_MUCH_SOL = 6002
_PUMP_TOO_MUCH_SOL_MESSAGE = "slippage: Too much SOL required to buy the given amount of tokens."


def pump_create_legacy(create_event: bytes, extra: int = 0) -> Invoke:
    """pump.fun ``create`` (2024): SPL Token mint, Metaplex metadata, event after the self-CPI."""
    body: tuple[str | Invoke, ...] = (
        program_log("Instruction: Create"),
        SYSTEM_IX,
        _token("Instruction: InitializeMint2", 2780),
        SYSTEM_IX,
        ATA_CREATE_LEGACY,
        _METAPLEX_CREATE,
        _token("Instruction: MintTo", 4492),
        _token("Instruction: SetAuthority", 2911),
        _PUMP_EVENT_CPI_LEGACY,
        program_data_line(create_event),
    )
    return Invoke(PUMP_FUN_PROGRAM, body, 51622 + extra)


def pump_create_v2(create_event: bytes, extra: int = 0) -> Invoke:
    """pump.fun ``create_v2`` (2025-): Token-2022 mint with metadata extension, event before
    the self-CPI."""
    body: tuple[str | Invoke, ...] = (
        program_log("Instruction: CreateV2"),
        SYSTEM_IX,
        _token("MetadataPointerInstruction::Initialize", 925, TOKEN_2022_PROGRAM),
        _token("Instruction: InitializeMint2", 1772, TOKEN_2022_PROGRAM),
        SYSTEM_IX,
        ATA_CREATE_2022,
        SYSTEM_IX,
        _token("TokenMetadataInstruction: Initialize", 3514, TOKEN_2022_PROGRAM),
        _token("TokenMetadataInstruction: UpdateAuthority", 3871, TOKEN_2022_PROGRAM),
        _token("Instruction: MintTo", 1714, TOKEN_2022_PROGRAM),
        _token("Instruction: SetAuthority", 1044, TOKEN_2022_PROGRAM),
        program_data_line(create_event),
        _PUMP_EVENT_CPI,
    )
    return Invoke(PUMP_FUN_PROGRAM, body, 64490 + extra)


def pump_buy_legacy(trade_event: bytes, extra: int = 0) -> Invoke:
    """pump.fun ``buy`` (2024 program): token transfer, two SOL transfers, event."""
    body: tuple[str | Invoke, ...] = (
        program_log("Instruction: Buy"),
        _TRANSFER,
        SYSTEM_IX,
        SYSTEM_IX,
        _PUMP_EVENT_CPI_LEGACY,
        program_data_line(trade_event),
    )
    return Invoke(PUMP_FUN_PROGRAM, body, 29009 + extra)


def pump_sell_legacy(trade_event: bytes, extra: int = 0) -> Invoke:
    body: tuple[str | Invoke, ...] = (
        program_log("Instruction: Sell"),
        _TRANSFER,
        _PUMP_EVENT_CPI_LEGACY,
        program_data_line(trade_event),
    )
    return Invoke(PUMP_FUN_PROGRAM, body, 25270 + extra)


def pump_buy(trade_event: bytes, extra: int = 0) -> Invoke:
    """pump.fun ``buy`` (current program): fee lookup, Token-2022 transfer, SOL transfers to the
    curve, the fee recipients and the creator vault, event before the self-CPI."""
    body: tuple[str | Invoke, ...] = (
        program_log("Instruction: Buy"),
        SYSTEM_IX,
        _GET_FEES,
        _TRANSFER_CHECKED_2022,
        SYSTEM_IX,
        SYSTEM_IX,
        SYSTEM_IX,
        SYSTEM_IX,
        SYSTEM_IX,
        program_data_line(trade_event),
        _PUMP_EVENT_CPI,
    )
    return Invoke(PUMP_FUN_PROGRAM, body, 63106 + extra)


def pump_sell(trade_event: bytes, extra: int = 0) -> Invoke:
    body: tuple[str | Invoke, ...] = (
        program_log("Instruction: Sell"),
        _GET_FEES,
        _TRANSFER_CHECKED_2022,
        program_data_line(trade_event),
        _PUMP_EVENT_CPI,
    )
    return Invoke(PUMP_FUN_PROGRAM, body, 41230 + extra)


def pump_buy_failing(sol_cap: int, sol_needed: int, legacy: bool, extra: int = 0) -> Invoke:
    """A pump.fun buy that stops on the slippage check (``TooMuchSolRequired``, 6002)."""
    error = anchor_error_line(
        "programs/pump/src/lib.rs",
        444 if not legacy else 291,
        "TooMuchSolRequired",
        PUMP_TOO_MUCH_SOL,
        _PUMP_TOO_MUCH_SOL_MESSAGE,
    )
    lines = (program_log(f"Left: {sol_cap}"), program_log(f"Right: {sol_needed}"))
    if legacy:
        return Invoke(
            PUMP_FUN_PROGRAM,
            (program_log("Instruction: Buy"), error, *lines),
            16420 + extra,
            fails_with=PUMP_TOO_MUCH_SOL,
        )
    return Invoke(
        PUMP_FUN_PROGRAM,
        (program_log("Instruction: Buy"), _GET_FEES, error, *lines),
        50559 + extra,
        returns=PUMP_FEES_RETURN,
        fails_with=PUMP_TOO_MUCH_SOL,
    )


def raydium_swap_direct(ray_log: bytes, extra: int = 0) -> list[Invoke]:
    """A swap sent straight to Raydium AMM v4, wrapping SOL in a temporary account."""
    return [
        COMPUTE_BUDGET_IX,
        COMPUTE_BUDGET_IX,
        SYSTEM_IX,
        _token("Instruction: InitializeAccount", 3443),
        Invoke(
            RAYDIUM_AMM_V4_PROGRAM,
            (ray_log_line(ray_log), _TRANSFER_OTHER, _TRANSFER),
            22195 + extra,
        ),
        _token("Instruction: CloseAccount", 2915),
        SYSTEM_IX,
    ]


def raydium_swap_routed(
    ray_log: bytes, amount_in: int, minimum_out: int, out: int, extra: int = 0
) -> list[Invoke]:
    """A swap through Raydium's router, which calls AMM v4 at depth 2."""
    route = Invoke(
        RAYDIUM_ROUTE_PROGRAM,
        (
            program_log(
                "process_swap_base_in_with_user_account:RouteSwapBaseInArgs { "
                f"amount_in: {amount_in}, minimum_amount_out: {minimum_out} }}"
            ),
            ATA_CREATE_LEGACY,
            Invoke(
                RAYDIUM_AMM_V4_PROGRAM,
                (ray_log_line(ray_log), _TRANSFER, _TRANSFER_OTHER),
                21158 + extra,
            ),
            program_log(f"{amount_in} -> {out}"),
        ),
        28384,
    )
    close = Invoke(
        RAYDIUM_ROUTE_PROGRAM,
        (program_log("process_close_token_account"), _token("Instruction: CloseAccount", 2915)),
        4578,
    )
    return [route, close, COMPUTE_BUDGET_IX, COMPUTE_BUDGET_IX]


def raydium_initialize2(
    *,
    nonce: int,
    open_time: int,
    init_pc_amount: int,
    init_coin_amount: int,
    init_log: bytes,
    extra: int = 0,
) -> list[Invoke]:
    """A Raydium AMM v4 pool creation (``initialize2``) with its ``InitLog``."""
    body: tuple[str | Invoke, ...] = (
        initialize2_line(nonce, open_time, init_pc_amount, init_coin_amount),
        SYSTEM_IX,
        _token("Instruction: SyncNative", 3045),
        *(SYSTEM_IX,) * 6,
        _token("Instruction: InitializeMint", 2920),
        *(SYSTEM_IX,) * 3,
        _token("Instruction: InitializeAccount", 3445),
        *(SYSTEM_IX,) * 3,
        _token("Instruction: InitializeAccount", 4475),
        *(SYSTEM_IX,) * 6,
        _OPENBOOK_INIT,
        ATA_CREATE_LEGACY,
        _TRANSFER_OTHER,
        _TRANSFER,
        _token("Instruction: MintTo", 4492),
        ray_log_line(init_log),
    )
    return [
        SYSTEM_IX,
        _token("Instruction: InitializeAccount", 3443),
        Invoke(RAYDIUM_AMM_V4_PROGRAM, body, 117582 + extra),
        _token("Instruction: CloseAccount", 2915),
    ]


#: Raydium's ``RepeatCreateAmm`` (the pool exists already): custom error 49.
RAYDIUM_REPEAT_CREATE_AMM = 49


def raydium_initialize2_repeat(
    *,
    nonce: int,
    open_time: int,
    init_pc_amount: int,
    init_coin_amount: int,
    pool: str,
    extra: int = 0,
) -> list[Invoke]:
    """An ``initialize2`` that fails with ``RepeatCreateAmm``: the create line is still logged."""
    body: tuple[str | Invoke, ...] = (
        initialize2_line(nonce, open_time, init_pc_amount, init_coin_amount),
        SYSTEM_IX,
        _token("Instruction: SyncNative", 3045),
        program_log(pool),
        program_log("Error: RepeatCreateAmm"),
    )
    return [
        COMPUTE_BUDGET_IX,
        COMPUTE_BUDGET_IX,
        SYSTEM_IX,
        _token("Instruction: InitializeAccount", 3443),
        Invoke(RAYDIUM_AMM_V4_PROGRAM, body, 23695 + extra, fails_with=RAYDIUM_REPEAT_CREATE_AMM),
    ]


def instruction_error(index: int, custom: int) -> dict[str, Any]:
    """The ``err`` of a transaction whose instruction `index` returned custom error `custom`."""
    return {"InstructionError": [index, {"Custom": custom}]}
