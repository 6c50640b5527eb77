"""The Borsh layouts of the launchpads' events, as encoders: what the synthetic frames carry.

pump.fun prints its events as ``Program data: <base64>``: the ``CreateEvent`` in its 2024 layout
(name, symbol, uri, mint, bonding_curve, user) and its current one (the same plus creator,
timestamp, reserves, token program, mode flags, quote mint), and the ``TradeEvent``. Raydium AMM
v4 prints ``ray_log`` records: ``InitLog`` (pool creation) and ``SwapBaseInLog``.

Only encoders live here: the decoder (`solwire.launches`) reads the fields it needs with its own
lenient reader, so its tests do not trust an encoder written by the same hands.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from solwire.borsh import borsh_string
from solwire.programs import CREATE_EVENT, TRADE_EVENT

# --- pump.fun bonding-curve constants (as printed by real CreateEvents) -----------------------

INITIAL_VIRTUAL_TOKEN_RESERVES = 1_073_000_000_000_000
INITIAL_VIRTUAL_SOL_RESERVES = 30_000_000_000
INITIAL_REAL_TOKEN_RESERVES = 793_100_000_000_000
TOKEN_TOTAL_SUPPLY = 1_000_000_000_000_000

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
                CREATE_EVENT,
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
            TRADE_EVENT,
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


# --- Raydium AMM v4 ray_log ------------------------------------------------------------------

_RAY_INIT = struct.Struct("<BQBBQQQQ32s")
_RAY_SWAP_BASE_IN = struct.Struct("<B7Q")
RAY_LOG_INIT = 0
RAY_LOG_SWAP_BASE_IN = 3


def encode_ray_init_log(
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
