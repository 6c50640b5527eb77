"""The wire encoder: one frame's seeded choices turned into a logsNotification and its truth.

Each function draws the parameters of one kind of transaction from the frame's entropy (`d`, or
a `random.Random` seeded from it), packs its events (the layouts of `solwire.events`) and fills
them into its shape's template (`fakechain.templates`: the invocation tree of `fakechain.shapes`
rendered once per shape, compute-unit step and limit, in the websocket envelope). Registry
modules' launches re-key a pooled encoding (`fakechain.module_pool`); truncated launches are cut
from their full logs. The draws happen in a fixed order: the same seed gives the same bytes.
"""

from __future__ import annotations

import binascii
import functools
import random
import struct
from dataclasses import fields
from typing import Any

from fakechain import shapes
from fakechain.module_pool import ENTRIES, Keyed, ModulePool, Variant, launch_instruction
from fakechain.names import identity, initial_buy_lamports
from fakechain.templates import slot as slot_of
from fakechain.templates import template
from fakechain.truth import (
    FAILED_LAUNCH,
    GRADUATION,
    PUMP_CREATE,
    PUMP_CREATE_V2,
    PUMP_TRADE,
    RAYDIUM_SWAP,
    TRUNCATED_LAUNCH,
    LaunchTruth,
    SyntheticTx,
)
from solwire.base58 import b58decode, b58encode, pubkey_with_suffix
from solwire.borsh import borsh_string
from solwire.events import (
    INITIAL_REAL_TOKEN_RESERVES,
    INITIAL_VIRTUAL_SOL_RESERVES,
    INITIAL_VIRTUAL_TOKEN_RESERVES,
    TOKEN_TOTAL_SUPPLY,
    encode_ray_init_log,
    encode_ray_swap_base_in_log,
)
from solwire.frames import instruction_error, logs_notification
from solwire.launchpads import CREATE, POOL, FoundLaunch, Launchpad
from solwire.launchpads._base import TokenDraw
from solwire.launchpads.platforms import platforms
from solwire.logs import Invoke, initialize2_line, render_logs, truncate_logs
from solwire.programs import (
    CREATE_EVENT,
    LAMPORTS_PER_SOL,
    PUMP_FUN,
    RAYDIUM_AMM_V4,
    TOKEN_2022_PROGRAM,
    TRADE_EVENT,
    WRAPPED_SOL,
)

BASE_SLOT = 400_000_000
FRAMES_PER_SLOT = 8
#: Unix time of `BASE_SLOT` (2026-05-28); a slot lasts 0.4 s.
BASE_UNIX_TIME = 1_780_000_000
SERIAL_SHARE = 0.15

# Frame entropy: u (kind) 0:8, v (sub-kind) 8:16, signature 16:104, eight u64 parameters
# 104:168, three 32-byte keys 168:264.
PARAMS = struct.Struct("<8Q")
_CURVE_K = INITIAL_VIRTUAL_SOL_RESERVES * INITIAL_VIRTUAL_TOKEN_RESERVES
_TOKEN_RESERVE_GAP = INITIAL_VIRTUAL_TOKEN_RESERVES - INITIAL_REAL_TOKEN_RESERVES
_TOKEN_2022_BYTES = b58decode(TOKEN_2022_PROGRAM)
# Eight fee recipients, fixed for every seed (the program's own accounts do not depend on who runs
# the generator).
_FEE_RECIPIENTS = tuple(random.Random(6002).randbytes(32) for _ in range(8))


_WRAPPED_SOL_BYTES = b58decode(WRAPPED_SOL)
_USDC_BYTES = b58decode("EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v")
#: Who opens a graduation's pool: one account for every graduation, as pump.fun's migration
#: account is on mainnet (a synthetic key, fixed for every seed).
MIGRATION_ACCOUNT = random.Random(6003).randbytes(32)
#: Share of the module launches (not graduations) quoted in USDC rather than wrapped SOL.
USDC_QUOTE_SHARE = 0.08
#: Share of LaunchLab / DBC launches made through a front end of the platforms table.
KNOWN_PLATFORM_SHARE = 0.8
#: Vanity suffixes the front ends grind their mints to (common, never a rule).
_MINT_SUFFIXES = {"raydium_launchlab": "bonk", "moonshot": "moon", "pump_swap": "pump"}
_VANITY_SHARE = 0.7


def _unix_time(index: int) -> int:
    return BASE_UNIX_TIME + (index // FRAMES_PER_SLOT) * 2 // 5


#: Compute-unit variations of the trades and swaps: this many steps, so that each (shape, step,
#: limit) renders once (`fakechain.templates`) and consecutive frames still differ.
CU_STEPS = 64
#: The same for pump.fun launches, whose templates are four times the size of a trade's.
LAUNCH_CU_STEPS = 16
_PUMP_LIMITS_CURRENT = (150_000, 200_000, 300_000, 600_000)
_PUMP_LIMITS_LEGACY = (150_000, 200_000, 250_000, 300_000)
_B64 = binascii.b2a_base64
_ROUTED = shapes.raydium_swap_routed


def pump_trade(index: int, d: bytes, signature: str, slot: int, subscription: int) -> SyntheticTx:
    """A pump.fun Buy, Sell or both, with their TradeEvents."""
    w = PARAMS.unpack_from(d, 104)
    current = w[0] % 100 < 60
    shape = w[1] % 10  # 0-5 buy, 6-8 sell, 9 buy then sell
    steps = (True,) if shape < 6 else (False,) if shape < 9 else (True, False)
    # the buyer's first buy opens its account
    opens_account = shape < 6 and (w[5] >> 40) % 4 == 0
    extra = (w[6] % CU_STEPS) * 62 - 1984
    limit = (_PUMP_LIMITS_CURRENT if current else _PUMP_LIMITS_LEGACY)[(w[2] >> 8) % 4]
    fmt = template(
        (PUMP_TRADE, current, steps, opens_account, extra, limit),
        lambda: (_pump_trade_logs(current, steps, opens_account, extra, limit), None),
    )
    mint = (
        pubkey_with_suffix(int.from_bytes(d[168:200], "little"), "pump") if current else d[168:200]
    )
    user = d[200:232]
    creator = d[232:264]
    timestamp = _unix_time(index)
    vsol = INITIAL_VIRTUAL_SOL_RESERVES + 500_000_000 + w[3] % 55_000_000_000
    vtok = _CURVE_K // vsol
    held = 0
    events = []
    fee_recipient = _FEE_RECIPIENTS[w[7] % 8] if current else None
    for is_buy in steps:
        if is_buy:
            sol = 10_000_000 + (w[4] % 1000) ** 2 * 5_000
            tokens = shapes.tokens_for_sol(sol, vsol, vtok)
            vsol, vtok, held = vsol + sol, vtok - tokens, tokens
        else:
            sold = INITIAL_VIRTUAL_TOKEN_RESERVES - vtok  # what buyers hold
            tokens = held or min(sold, (w[5] % 50_000_000) * 1_000_000 + 1_000_000)
            sol = shapes.sol_for_tokens(tokens, vsol, vtok)
            vsol, vtok = vsol - sol, vtok + tokens
        event = _trade_event(
            mint, sol, tokens, is_buy, user, timestamp, vsol, vtok, fee_recipient, creator
        )
        events.append(_B64(event, newline=False))
    payload = fmt % (slot, signature.encode(), *events, subscription)
    return SyntheticTx(index, PUMP_TRADE, payload, signature, slot, None)


def _pump_trade_logs(
    current: bool, steps: tuple[bool, ...], opens_account: bool, extra: int, limit: int
) -> list[str]:
    trades: list[Invoke] = []
    if opens_account:
        trades.append(shapes.ATA_CREATE_IDEMPOTENT_2022 if current else shapes.ATA_CREATE_LEGACY)
    for number, is_buy in enumerate(steps):
        event = slot_of(number)
        if current:
            trades.append((shapes.pump_buy if is_buy else shapes.pump_sell)(event, extra))
        else:
            maker = shapes.pump_buy_legacy if is_buy else shapes.pump_sell_legacy
            trades.append(maker(event, extra))
    if current:
        return render_logs(trades, limit)
    instructions = [shapes.COMPUTE_BUDGET_IX, shapes.COMPUTE_BUDGET_IX, *trades]
    if len(steps) == 2:
        instructions.append(shapes.SYSTEM_IX)
    return render_logs(instructions, limit)


def raydium_swap(index: int, d: bytes, signature: str, slot: int, subscription: int) -> SyntheticTx:
    """A Raydium AMM v4 swap, sent directly or through the router."""
    w = PARAMS.unpack_from(d, 104)
    direct = w[1] % 10 < 6
    pool_coin = 10**9 + w[2] % 10**15
    pool_pc = 10**9 + w[3] % 10**13
    direction = 1 + w[4] % 2
    reserve_in, reserve_out = (pool_pc, pool_coin) if direction == 1 else (pool_coin, pool_pc)
    amount_in = 1_000 + w[5] % max(1_000, reserve_in // 50)
    out = reserve_out * amount_in * 9975 // (reserve_in * 10_000 + amount_in * 9975)
    minimum_out = out * (1000 - w[6] % 100) // 1000
    user_source = amount_in + (0 if w[7] % 3 else w[7] % 10**10)
    extra = ((w[0] >> 16) % CU_STEPS) * 47 - 1500
    ray_log = _B64(
        encode_ray_swap_base_in_log(
            amount_in=amount_in,
            minimum_out=minimum_out if direct else 0,
            direction=direction,
            user_source=user_source,
            pool_coin=pool_coin,
            pool_pc=pool_pc,
            out_amount=out,
        ),
        newline=False,
    )
    if direct:
        limit = (70_000, 100_000, 200_000)[w[0] % 3]
        fmt = template(
            (RAYDIUM_SWAP, True, extra, limit),
            lambda: (render_logs(shapes.raydium_swap_direct(slot_of(0), extra), limit), None),
        )
        payload = fmt % (slot, signature.encode(), ray_log, subscription)
    else:
        limit = 95_000 + (w[0] % 16) * 6_250
        fmt = template(
            (RAYDIUM_SWAP, False, extra, limit),
            lambda: (
                render_logs(_ROUTED(slot_of(2), slot_of(0), slot_of(1), slot_of(3), extra), limit),
                None,
            ),
        )
        amount, least, got = b"%d" % amount_in, b"%d" % minimum_out, b"%d" % out
        payload = fmt % (
            slot,
            signature.encode(),
            amount,
            least,
            ray_log,
            amount,
            got,
            subscription,
        )
    return SyntheticTx(index, RAYDIUM_SWAP, payload, signature, slot, None)


def pump_launch(
    index: int,
    kind: str,
    rng: random.Random,
    signature: str,
    slot: int,
    subscription: int,
    serial_pool: tuple[bytes, ...],
    serial_keys: tuple[str, ...],
) -> SyntheticTx:
    """A pump.fun create and the creator's buy: `kind` a launch, truncated, or failed.
    `serial_keys` are the base58 forms of `serial_pool`."""
    if kind == PUMP_CREATE_V2:
        current = True
    elif kind == PUMP_CREATE:
        current = False
    else:
        current = rng.random() < 0.65
    serial = rng.random() < SERIAL_SHARE
    if serial:
        which = rng.randrange(len(serial_pool))
        creator, creator_key = serial_pool[which], serial_keys[which]
    else:
        creator = rng.randbytes(32)
        creator_key = b58encode(creator)
    mint = pubkey_with_suffix(rng.getrandbits(256), "pump") if current else rng.randbytes(32)
    bonding_curve = rng.randbytes(32)
    name, symbol, uri = identity(rng, current)
    timestamp = _unix_time(index)
    event = _create_event(
        name, symbol, uri, mint, bonding_curve, creator, creator if current else None, timestamp
    )
    buy_sol = initial_buy_lamports(rng)
    extra = rng.randrange(LAUNCH_CU_STEPS) * 375 - 3000
    failed = kind == FAILED_LAUNCH
    limit = rng.choice(_CREATE_LIMITS_CURRENT if current else _CREATE_LIMITS_LEGACY)
    if failed:
        cap = buy_sol * rng.randrange(900, 999) // 1000
        values: tuple[bytes, ...] = (_B64(event, newline=False), b"%d" % cap, b"%d" % buy_sol)
    else:
        tokens = shapes.tokens_for_sol(
            buy_sol, INITIAL_VIRTUAL_SOL_RESERVES, INITIAL_VIRTUAL_TOKEN_RESERVES
        )
        vsol = INITIAL_VIRTUAL_SOL_RESERVES + buy_sol
        vtok = INITIAL_VIRTUAL_TOKEN_RESERVES - tokens
        fee_recipient = rng.choice(_FEE_RECIPIENTS) if current else None
        trade = _trade_event(
            mint, buy_sol, tokens, True, creator, timestamp, vsol, vtok, fee_recipient, creator
        )
        values = (_B64(event, newline=False), _B64(trade, newline=False))
    instruction = "CreateV2" if current else "Create"
    mint_key = b58encode(mint)
    if kind == TRUNCATED_LAUNCH:
        # the cut depends on the lengths of the drawn lines: written in full, then cut
        texts = [value.decode() for value in values]
        logs = [
            line if "\u00a7" not in line else _filled(line, texts)
            for line in _placeholder_logs(current, failed, extra, limit)
        ]
        first = logs.index("Program log: Instruction: " + instruction)
        data = next(i for i, line in enumerate(logs) if line.startswith("Program data: "))
        logs = truncate_logs(logs, rng.randrange(first + 1, data + 1))
        truth = LaunchTruth(
            launchpad=PUMP_FUN,
            event=CREATE,
            instruction=instruction,
            truncated=True,
            # the cut took the CreateEvent: every field it carries is unread
            partial=("mint", "creator", "name", "symbol", "uri", "quote_mint"),
            drawn_mint=mint_key,
        )
        return _frame(index, kind, signature, slot, None, logs, subscription, truth)
    err = instruction_error(2 if current else 5, shapes.PUMP_TOO_MUCH_SOL) if failed else None
    fmt = template(
        (PUMP_CREATE, current, failed, extra, limit),
        lambda: (_pump_launch_logs(current, failed, extra, limit), err),
    )
    truth = LaunchTruth(
        launchpad=PUMP_FUN,
        event=CREATE,
        instruction=instruction,
        mint=mint_key,
        quote_mint=WRAPPED_SOL,
        creator=creator_key,
        name=name,
        symbol=symbol,
        uri=uri,
        initial_buy_sol=None if failed else buy_sol / LAMPORTS_PER_SOL,
        bonding_curve=b58encode(bonding_curve),
        serial_launcher=serial,
        drawn_mint=mint_key,
    )
    payload = fmt % (slot, signature.encode(), *values, subscription)
    return SyntheticTx(index, kind, payload, signature, slot, err, truth)


_CREATE_LIMITS_CURRENT = (300_000, 400_000, 600_000, 800_000)
_CREATE_LIMITS_LEGACY = (200_000, 250_000, 300_000, 400_000)


@functools.lru_cache(maxsize=512)
def _placeholder_logs(current: bool, failed: bool, extra: int, limit: int) -> tuple[str, ...]:
    return tuple(_pump_launch_logs(current, failed, extra, limit))


def _filled(line: str, texts: list[str]) -> str:
    for number, text in enumerate(texts):
        line = line.replace(slot_of(number), text)
    return line


def _pump_launch_logs(current: bool, failed: bool, extra: int, limit: int) -> list[str]:
    """The logs of a pump.fun create and its buy, with placeholders for the events (slots 0
    and 1) or, for a failed buy, its cap and price (1 and 2)."""
    fill = [slot_of(i) for i in range(3)]
    if failed:
        buy = shapes.pump_buy_failing(fill[1], fill[2], legacy=not current, extra=extra // 4)
    else:
        buy = (shapes.pump_buy if current else shapes.pump_buy_legacy)(fill[1], extra // 4)
    if current:
        create = shapes.pump_create_v2(fill[0], extra)
        instructions = [create, shapes.ATA_CREATE_IDEMPOTENT_2022, buy]
    else:
        create = shapes.pump_create_legacy(fill[0], extra)
        instructions = [
            shapes.COMPUTE_BUDGET_IX,
            shapes.SYSTEM_IX,
            shapes.COMPUTE_BUDGET_IX,
            create,
            shapes.ATA_CREATE_LEGACY,
            buy,
        ]
    return render_logs(instructions, limit)


def raydium_init(
    index: int, kind: str, rng: random.Random, signature: str, slot: int, subscription: int
) -> SyntheticTx:
    """A Raydium AMM v4 ``initialize2``, or one failing with ``RepeatCreateAmm``."""
    nonce = rng.choice((252, 253, 254, 254, 254, 255))
    open_time = 0 if rng.random() < 0.6 else _unix_time(index) + rng.randrange(-60, 3600)
    if rng.random() < 0.5:
        # a pump.fun graduation: the token (6 decimals) is pc, wrapped SOL is coin
        pc_decimals, coin_decimals, pc_lot, coin_lot = 6, 9, 100, 10_000_000
        pc_amount = 206_900_000_000_000 - rng.randrange(0, 10**12)
        coin_amount = 79_005_359_551 + rng.randrange(-(10**9), 10**9)
    else:
        coin_decimals = rng.choice((6, 9))
        pc_decimals, pc_lot, coin_lot = 9, 1_000_000, 10 ** (coin_decimals - 3)
        coin_amount = rng.randrange(10**5, 10**9) * 10**coin_decimals
        pc_amount = rng.randrange(1, 500) * 10**9 + rng.randrange(0, 10**9)
    extra = rng.randrange(-4000, 4000)
    err: Any = None
    arguments = initialize2_line(nonce, open_time, pc_amount, coin_amount)
    if kind == FAILED_LAUNCH:
        pool = b58encode(rng.randbytes(32))
        instructions = shapes.raydium_initialize2_repeat(arguments, pool, extra)
        err = instruction_error(4, shapes.RAYDIUM_REPEAT_CREATE_AMM)
        limit = rng.choice((300_000, 400_000))
    else:
        market = rng.randbytes(32)
        init_log = encode_ray_init_log(
            open_time, pc_decimals, coin_decimals, pc_lot, coin_lot, pc_amount, coin_amount, market
        )
        instructions = shapes.raydium_initialize2(arguments, init_log, extra)
        limit = 800_000
    logs = render_logs(instructions, limit)
    truth = LaunchTruth(launchpad=RAYDIUM_AMM_V4, event=POOL, instruction="initialize2")
    return _frame(index, kind, signature, slot, err, logs, subscription, truth)


def module_launch(
    index: int,
    kind: str,
    launchpad: Launchpad,
    rng: random.Random,
    signature: str,
    slot: int,
    subscription: int,
    pool: ModulePool,
    graduation: tuple[int, LaunchTruth] | None = None,
) -> SyntheticTx:
    """A launch written by `launchpad`'s own encoder (`Launchpad.synthetic`), `kind` a launch,
    a graduation or failed; launches and graduations re-key an encoding of `pool`
    (`fakechain.module_pool`).

    A graduation pools the mint of the pump.fun create `graduation` names (its frame index and
    truth) and keeps that token's name; its pool is opened by `MIGRATION_ACCOUNT`. A failed launch
    keeps the launch's logs and fails in the instruction after it (a token transfer short of
    funds), as a transaction does whose launch succeeded and whose next step did not.
    """
    name = launchpad.name
    suffix = _MINT_SUFFIXES.get(name)
    vanity = suffix is not None and rng.random() < _VANITY_SHARE
    mint = pubkey_with_suffix(rng.getrandbits(256), suffix) if suffix and vanity else None
    mint = mint or rng.randbytes(32)
    creator = rng.randbytes(32)
    token_name, symbol, uri = identity(rng, True)
    quote = _USDC_BYTES if rng.random() < USDC_QUOTE_SHARE else _WRAPPED_SOL_BYTES
    graduates = None
    if graduation is not None:
        graduates, created = graduation
        assert created.mint is not None
        mint, creator, quote = b58decode(created.mint), MIGRATION_ACCOUNT, _WRAPPED_SOL_BYTES
        token_name, symbol, uri = created.name or "", created.symbol or "", created.uri or ""
    keyed = Keyed(mint, creator, token_name, symbol, uri, _unix_time(index))
    if kind == FAILED_LAUNCH:
        return _failed_module_launch(
            index, launchpad, rng, signature, slot, subscription, keyed, quote
        )
    variant = Variant(name, quote, mint < quote, graduation is not None)
    fmt, instruction, found, values = pool.launch(launchpad, variant, rng.randrange(ENTRIES), keyed)
    truth = LaunchTruth(
        **found,
        instruction=instruction,
        drawn_mint=b58encode(mint),
        graduates=graduates,
    )
    assert kind != GRADUATION or truth.event == POOL, name
    assert truth.event in (CREATE, POOL), name
    payload = fmt % (slot, signature.encode(), *values, subscription)
    return SyntheticTx(index, kind, payload, signature, slot, None, truth)


def module_extras(rng: random.Random, variant: Variant) -> tuple[bytes | None, int, int, int]:
    """What a module launch draws beyond its re-keyed fields: platform config, initial buy,
    variation and compute-unit limit (`fakechain.module_pool.Extras`)."""
    known = sorted(platforms().get(variant.launchpad, {}))
    platform_config: bytes | None = None
    if variant.launchpad in platforms():
        use_known = known and rng.random() < KNOWN_PLATFORM_SHARE
        platform_config = b58decode(rng.choice(known)) if use_known else rng.randbytes(32)
    if variant.graduation:
        # what a curve holds when it completes: about 85 SOL
        buy = 84_990_359_679 + rng.randrange(0, 10**9)
    else:
        buy = initial_buy_lamports(rng)
    variation = rng.getrandbits(32)
    limit = rng.choice((400_000, 600_000, 800_000, 1_000_000))
    return platform_config, buy, variation, limit


def _failed_module_launch(
    index: int,
    launchpad: Launchpad,
    rng: random.Random,
    signature: str,
    slot: int,
    subscription: int,
    keyed: Keyed,
    quote: bytes,
) -> SyntheticTx:
    encoder = launchpad.synthetic
    assert encoder is not None, launchpad.name  # the generator only draws launchpads with one
    variant = Variant(launchpad.name, quote, keyed.mint < quote, False)
    platform_config, buy, variation, limit = module_extras(rng, variant)
    draw = TokenDraw(
        mint=keyed.mint,
        creator=keyed.creator,
        name=keyed.name,
        symbol=keyed.symbol,
        uri=keyed.uri,
        quote_mint=quote,
        platform_config=platform_config,
        initial_buy_lamports=buy,
        timestamp=keyed.timestamp,
        keys=lambda: rng.randbytes(32),
        variation=variation,
    )
    failing = shapes.token_transfer_failing(rng.randrange(-500, 500))
    launch = encoder(draw)
    invokes = [*launch.invokes, failing]
    err = instruction_error(len(invokes) - 1, shapes.TOKEN_INSUFFICIENT_FUNDS)
    logs = render_logs(invokes, limit)
    found = launch.from_logs
    truth = LaunchTruth(
        **{field: getattr(found, field) for field in _FOUND_FIELDS},
        instruction=launch_instruction(logs, launchpad),
        drawn_mint=b58encode(keyed.mint),
    )
    return _frame(index, FAILED_LAUNCH, signature, slot, err, logs, subscription, truth)


_FOUND_FIELDS = tuple(field.name for field in fields(FoundLaunch))


def _frame(
    index: int,
    kind: str,
    signature: str,
    slot: int,
    err: Any,
    logs: list[str],
    subscription: int,
    truth: LaunchTruth | None = None,
) -> SyntheticTx:
    payload = logs_notification(
        slot=slot, signature=signature, err=err, logs=logs, subscription=subscription
    )
    return SyntheticTx(index, kind, payload, signature, slot, err, truth)


# The layouts of `solwire.events.TradeEvent` and `CreateEvent`, packed here without building
# their dataclasses (a third of a trade frame's cost); tests/fakechain checks that they agree.
_TRADE_HEAD = struct.Struct("<8s32sQQ?32sq4Q")
_TRADE_FEES = struct.Struct("<32sQQ32sQQ?QQQq")
_TRADE_IX = {True: borsh_string("buy"), False: borsh_string("sell")}
_CREATE_V2_TAIL = struct.Struct("<32sq4Q32s??32sQ")
_NO_QUOTE = b"\0" * 32


def _trade_event(
    mint: bytes,
    sol: int,
    tokens: int,
    is_buy: bool,
    user: bytes,
    timestamp: int,
    vsol: int,
    vtok: int,
    fee_recipient: bytes | None,
    creator: bytes,
) -> bytes:
    """A TradeEvent after the trade moved the curve to `vsol` / `vtok`, fees at 95 + 30 bps
    (without fee fields when `fee_recipient` is None: the 2024 layout)."""
    head = _TRADE_HEAD.pack(
        TRADE_EVENT,
        mint,
        sol,
        tokens,
        is_buy,
        user,
        timestamp,
        vsol,
        vtok,
        max(0, vsol - INITIAL_VIRTUAL_SOL_RESERVES),
        max(0, vtok - _TOKEN_RESERVE_GAP),
    )
    if fee_recipient is None:
        return head
    fees = _TRADE_FEES.pack(
        fee_recipient, 95, sol * 95 // 10_000, creator, 30, sol * 30 // 10_000, False, 0, 0, 0, 0
    )
    return head + fees + _TRADE_IX[is_buy]


def _create_event(
    name: str,
    symbol: str,
    uri: str,
    mint: bytes,
    bonding_curve: bytes,
    user: bytes,
    creator: bytes | None,
    timestamp: int,
) -> bytes:
    """A CreateEvent: the 2024 layout with `creator` None, else the current one (Token-2022)."""
    head = b"".join(
        (
            CREATE_EVENT,
            borsh_string(name),
            borsh_string(symbol),
            borsh_string(uri),
            mint,
            bonding_curve,
            user,
        )
    )
    if creator is None:
        return head
    return head + _CREATE_V2_TAIL.pack(
        creator,
        timestamp,
        INITIAL_VIRTUAL_TOKEN_RESERVES,
        INITIAL_VIRTUAL_SOL_RESERVES,
        INITIAL_REAL_TOKEN_RESERVES,
        TOKEN_TOTAL_SUPPLY,
        _TOKEN_2022_BYTES,
        False,
        False,
        _NO_QUOTE,
        INITIAL_VIRTUAL_SOL_RESERVES,
    )
