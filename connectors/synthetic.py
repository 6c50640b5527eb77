"""The synthetic source: the job's embedded default, realistic Solana frames without a network.

Frames are ``logsNotification`` messages (bytes, as a ``logsSubscribe`` websocket delivers them)
whose logs follow real mainnet transactions line by line (see `connectors.solana_wire`). Frame
number ``g`` (the global index) is a pure function of ``(seed, g, launch_ratio)``: `generate`
returns it with its ground truth, and `SyntheticSource` emits frames ``g = p, p + n, p + 2n, ...``
from partition ``p`` of ``n``. A partition's resume state is the number of frames it has emitted,
so a resumed run regenerates exactly the frames an uninterrupted run would have sent, at any rate.

What the stream holds (shares of all frames, ``r`` = ``launch_ratio``):

================  ===========================  ============================================
kind              share                        what it is
================  ===========================  ============================================
pump_create_v2    0.55 r                       pump.fun ``CreateV2`` + the creator's Buy
pump_create       0.27 r                       pump.fun legacy ``Create`` + the creator's Buy
raydium_init      0.15 r                       Raydium AMM v4 ``initialize2`` (no mint in logs)
truncated_launch  0.03 r                       a pump.fun create cut by ``Log truncated``
                                               before its CreateEvent (fields unknown)
failed_launch     0.002 (fixed)                a create whose transaction failed (``err`` set);
                                               the launch lines are still in the logs
duplicate         0.005 (fixed)                an earlier frame delivered again, byte-identical;
                                               half of them repeat the latest real launch
pump_trade        0.7 of the rest              pump.fun Buy / Sell with TradeEvents
raydium_swap      0.3 of the rest              Raydium AMM v4 swaps (``ray_log`` type 3)
================  ===========================  ============================================

The fixed shares shrink proportionally when ``r`` leaves them no room (``r > 0.993``), so the
share of successful launches is always ``r``. About 15 % of pump.fun launches come from a pool of
five serial launchers per partition derived from the seed (a creator's launches all come out of
one partition, so their order, and with it every score, is the same every run); the other
creators are fresh keys.
"""

from __future__ import annotations

import hashlib
import math
import random
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from bytewax.inputs import FixedPartitionedSource, StatefulSourcePartition

from connectors import solana_wire as wire
from domain.models import PUMP_FUN, RAYDIUM_AMM_V4, RawFrame

if TYPE_CHECKING:
    from faker import Faker

    from domain.config import SnifferConfig

# --- frame kinds -----------------------------------------------------------------------------

PUMP_CREATE = "pump_create"
PUMP_CREATE_V2 = "pump_create_v2"
RAYDIUM_INIT = "raydium_init"
TRUNCATED_LAUNCH = "truncated_launch"
FAILED_LAUNCH = "failed_launch"
DUPLICATE = "duplicate"
PUMP_TRADE = "pump_trade"
RAYDIUM_SWAP = "raydium_swap"

#: Successful launches: ``err`` is null and the logs hold a launch instruction. Every frame of
#: these kinds is a launch the detector should find (a truncated one without its fields).
LAUNCH_KINDS = frozenset({PUMP_CREATE, PUMP_CREATE_V2, RAYDIUM_INIT, TRUNCATED_LAUNCH})
KINDS = (
    PUMP_CREATE_V2,
    PUMP_CREATE,
    RAYDIUM_INIT,
    TRUNCATED_LAUNCH,
    FAILED_LAUNCH,
    DUPLICATE,
    PUMP_TRADE,
    RAYDIUM_SWAP,
)

# --- the mix ---------------------------------------------------------------------------------

DEFAULT_LAUNCH_RATIO = 0.01
FAILED_LAUNCH_SHARE = 0.002
DUPLICATE_SHARE = 0.005
#: How successful launches split (shares of ``launch_ratio``), in draw order.
LAUNCH_MIX = (
    (PUMP_CREATE_V2, 0.55),
    (PUMP_CREATE, 0.27),
    (RAYDIUM_INIT, 0.15),
    (TRUNCATED_LAUNCH, 0.03),
)
#: Share of pump.fun among the ordinary (non-launch) frames; Raydium swaps are the rest.
PUMP_TRADE_SHARE = 0.7
#: Share of failed launches that are pump.fun creates (the rest: Raydium RepeatCreateAmm).
FAILED_PUMP_SHARE = 0.7
SERIAL_LAUNCHERS = 5
SERIAL_SHARE = 0.15
#: How far back a duplicate looks for the latest launch to repeat.
DUPLICATE_LOOKBACK = 256

BASE_SLOT = 400_000_000
FRAMES_PER_SLOT = 8
#: Unix time of `BASE_SLOT` (2026-05-28); a slot lasts 0.4 s.
BASE_UNIX_TIME = 1_780_000_000

#: Frames per `next_batch` when unthrottled, and the cap per batch when throttled.
DEFAULT_BATCH_SIZE = 512

_TWO64 = 1 << 64
# Frame entropy: u (kind) 0:8, v (sub-kind) 8:16, signature 16:104, eight u64 parameters
# 104:168, three 32-byte keys 168:264.
_DIGEST_BYTES = 264
_PARAMS = struct.Struct("<8Q")
_CURVE_K = wire.INITIAL_VIRTUAL_SOL_RESERVES * wire.INITIAL_VIRTUAL_TOKEN_RESERVES
_TOKEN_RESERVE_GAP = wire.INITIAL_VIRTUAL_TOKEN_RESERVES - wire.INITIAL_REAL_TOKEN_RESERVES
_TOKEN_2022_BYTES = wire.b58decode(wire.TOKEN_2022_PROGRAM)
# Eight fee recipients, fixed for every seed (the program's own accounts do not depend on who runs
# the generator).
_FEE_RECIPIENTS = tuple(random.Random(6002).randbytes(32) for _ in range(8))


# --- ground truth ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LaunchTruth:
    """What a launch frame shows, as a perfect decoder of its logs would read it.

    Fields the logs do not carry are None: a Raydium ``initialize2`` seen through
    ``logsSubscribe`` has no mint, creator, name or buy; a truncated launch lost its
    CreateEvent and its Buy. For a failed launch, `initial_buy_sol` is None (the buy failed).
    """

    launchpad: str
    instruction: str
    mint: str | None
    creator: str | None
    name: str | None
    symbol: str | None
    uri: str | None
    initial_buy_sol: float | None
    bonding_curve: str | None = None
    serial_launcher: bool = False
    truncated: bool = False


@dataclass(frozen=True, slots=True)
class SyntheticTx:
    """One synthetic frame and the truth about it."""

    index: int
    kind: str
    payload: bytes
    signature: str
    slot: int
    err: Any
    #: The launch the logs show: set for launches, failed launches, and duplicates of either.
    launch: LaunchTruth | None = None
    #: For a duplicate: the index of the frame it repeats (never itself a duplicate).
    duplicate_of: int | None = None

    @property
    def is_launch(self) -> bool:
        """A successful launch delivered for the first time: the detector must report it."""
        return self.kind in LAUNCH_KINDS


# --- the generator ---------------------------------------------------------------------------


class SyntheticGenerator:
    """Frames for one ``(seed, launch_ratio)``; holds what does not change from frame to frame.

    Not thread-safe (it owns a Faker instance): use one per thread, as `generate` and the source
    partitions do.
    """

    def __init__(
        self, seed: int, launch_ratio: float = DEFAULT_LAUNCH_RATIO, partitions: int = 1
    ) -> None:
        if partitions < 1:
            raise ValueError(f"partitions={partitions!r}: must be at least 1")
        if not 0.0 <= launch_ratio <= 1.0 or math.isnan(launch_ratio):
            raise ValueError(f"launch_ratio={launch_ratio!r}: must be between 0 and 1")
        self.seed = seed
        self.launch_ratio = launch_ratio
        tag = f"premint-sniffer/synthetic/v1/{seed}".encode()
        self._hasher = hashlib.shake_256(tag)
        extras = FAILED_LAUNCH_SHARE + DUPLICATE_SHARE
        scale = min(1.0, (1.0 - launch_ratio) / extras)
        self._t_launch = _threshold(launch_ratio)
        self._t_failed = _threshold(launch_ratio + FAILED_LAUNCH_SHARE * scale)
        self._t_duplicate = _threshold(launch_ratio + extras * scale)
        cumulative, mix = 0.0, []
        for kind, share in LAUNCH_MIX:
            cumulative += share
            mix.append((_threshold(cumulative), kind))
        mix[-1] = (_TWO64, mix[-1][1])
        self._launch_mix = tuple(mix)
        self._t_pump_trade = _threshold(PUMP_TRADE_SHARE)
        setup = random.Random(hashlib.sha256(tag + b"/setup").digest())
        # Each partition has its own serial launchers, so all launches of one creator come out
        # of one partition in order. Scoring and the serial-launcher filter depend on the order
        # of a creator's launches; if they were spread over partitions, the interleaving (which
        # depends on timing) would change scores from run to run, and the seed promises the same
        # candidates every run.
        self.partitions = partitions
        pools = [tuple(setup.randbytes(32) for _ in range(SERIAL_LAUNCHERS))]
        for partition in range(1, partitions):
            extra = random.Random(hashlib.sha256(tag + f"/setup/{partition}".encode()).digest())
            pools.append(tuple(extra.randbytes(32) for _ in range(SERIAL_LAUNCHERS)))
        self._serial_pools = tuple(pools)
        self.serial_launchers = tuple(key for pool in pools for key in pool)
        self.serial_launcher_keys = tuple(wire.b58encode(k) for k in self.serial_launchers)
        self.pump_subscription = setup.randrange(1_000, 60_000)
        self.raydium_subscription = self.pump_subscription + 1 + setup.randrange(1, 500)
        self._faker: Faker | None = None

    # -- cheap parts ---------------------------------------------------------------------------

    def _digest(self, index: int, size: int = _DIGEST_BYTES) -> bytes:
        h = self._hasher.copy()
        h.update(index.to_bytes(8, "little"))
        return h.digest(size)

    def kind(self, index: int) -> str:
        """The kind frame `index` is drawn as (before a duplicate too early to have a
        predecessor falls back to an ordinary frame)."""
        head = self._digest(index, 16)
        return self._kind(int.from_bytes(head[:8], "little"), int.from_bytes(head[8:16], "little"))

    def _kind(self, u: int, v: int) -> str:
        if u < self._t_launch:
            for threshold, kind in self._launch_mix:
                if v < threshold:
                    return kind
        if u < self._t_failed:
            return FAILED_LAUNCH
        if u < self._t_duplicate:
            return DUPLICATE
        return PUMP_TRADE if v < self._t_pump_trade else RAYDIUM_SWAP

    def payload(self, index: int) -> bytes:
        return self.tx(index).payload

    # -- frames --------------------------------------------------------------------------------

    def tx(self, index: int) -> SyntheticTx:
        """Frame `index` with its ground truth."""
        if index < 0:
            raise ValueError(f"index={index}: frames are numbered from 0")
        d = self._digest(index)
        u = int.from_bytes(d[:8], "little")
        v = int.from_bytes(d[8:16], "little")
        kind = self._kind(u, v)
        if kind == DUPLICATE:
            dup = self._duplicate(index, d)
            if dup is not None:
                return dup
            kind = PUMP_TRADE if v < self._t_pump_trade else RAYDIUM_SWAP
        signature = wire.signature_from_entropy(d[16:104])
        slot = BASE_SLOT + index // FRAMES_PER_SLOT
        if kind == PUMP_TRADE:
            return self._pump_trade(index, d, signature, slot)
        if kind == RAYDIUM_SWAP:
            return self._raydium_swap(index, d, signature, slot)
        return self._launch(index, kind, d, signature, slot)

    def _duplicate(self, index: int, d: bytes) -> SyntheticTx | None:
        w = _PARAMS.unpack_from(d, 104)
        target = -1
        if w[0] % 2 == 0 and self._t_launch:
            for back in range(1, min(DUPLICATE_LOOKBACK, index) + 1):
                if self.kind(index - back) in (PUMP_CREATE, PUMP_CREATE_V2, RAYDIUM_INIT):
                    target = index - back
                    break
        if target < 0:
            target = index - 1 - w[1] % 64
        if target < 0:
            return None
        original = self.tx(target)
        if original.duplicate_of is not None:
            target = original.duplicate_of
        return SyntheticTx(
            index=index,
            kind=DUPLICATE,
            payload=original.payload,
            signature=original.signature,
            slot=original.slot,
            err=original.err,
            launch=original.launch,
            duplicate_of=target,
        )

    def _pump_trade(self, index: int, d: bytes, signature: str, slot: int) -> SyntheticTx:
        w = _PARAMS.unpack_from(d, 104)
        current = w[0] % 100 < 60
        shape = w[1] % 10  # 0-5 buy, 6-8 sell, 9 buy then sell
        mint = (
            wire.pubkey_with_suffix(int.from_bytes(d[168:200], "little"), "pump")
            if current
            else d[168:200]
        )
        user = d[200:232]
        creator = d[232:264]
        timestamp = _unix_time(index)
        vsol = wire.INITIAL_VIRTUAL_SOL_RESERVES + 500_000_000 + w[3] % 55_000_000_000
        vtok = _CURVE_K // vsol
        extra = w[6] % 4000 - 2000
        trades: list[wire.Invoke] = []
        if shape < 6 and (w[5] >> 40) % 4 == 0:  # the buyer's first buy opens its account
            trades.append(wire.ATA_CREATE_IDEMPOTENT_2022 if current else wire.ATA_CREATE_LEGACY)
        steps = (True,) if shape < 6 else (False,) if shape < 9 else (True, False)
        held = 0
        for is_buy in steps:
            if is_buy:
                sol = 10_000_000 + (w[4] % 1000) ** 2 * 5_000
                tokens = wire.tokens_for_sol(sol, vsol, vtok)
                vsol, vtok, held = vsol + sol, vtok - tokens, tokens
            else:
                sold = wire.INITIAL_VIRTUAL_TOKEN_RESERVES - vtok  # what buyers hold
                tokens = held or min(sold, (w[5] % 50_000_000) * 1_000_000 + 1_000_000)
                sol = wire.sol_for_tokens(tokens, vsol, vtok)
                vsol, vtok = vsol - sol, vtok + tokens
            event = wire.TradeEvent(
                mint=mint,
                sol_amount=sol,
                token_amount=tokens,
                is_buy=is_buy,
                user=user,
                timestamp=timestamp,
                virtual_sol_reserves=vsol,
                virtual_token_reserves=vtok,
                real_sol_reserves=max(0, vsol - wire.INITIAL_VIRTUAL_SOL_RESERVES),
                real_token_reserves=max(0, vtok - _TOKEN_RESERVE_GAP),
                fee_recipient=_FEE_RECIPIENTS[w[7] % 8] if current else None,
                fee=sol * 95 // 10_000,
                creator=creator,
                creator_fee=sol * 30 // 10_000,
            ).encode()
            if current:
                trades.append((wire.pump_buy if is_buy else wire.pump_sell)(event, extra))
            else:
                maker = wire.pump_buy_legacy if is_buy else wire.pump_sell_legacy
                trades.append(maker(event, extra))
        if current:
            limit = (150_000, 200_000, 300_000, 600_000)[(w[2] >> 8) % 4]
            instructions = trades
        else:
            limit = (150_000, 200_000, 250_000, 300_000)[(w[2] >> 8) % 4]
            instructions = [wire.COMPUTE_BUDGET_IX, wire.COMPUTE_BUDGET_IX, *trades]
            if shape == 9:
                instructions.append(wire.SYSTEM_IX)
        logs = wire.render_logs(instructions, limit)
        payload = wire.logs_notification(
            slot=slot,
            signature=signature,
            err=None,
            logs=logs,
            subscription=self.pump_subscription,
        )
        return SyntheticTx(index, PUMP_TRADE, payload, signature, slot, None)

    def _raydium_swap(self, index: int, d: bytes, signature: str, slot: int) -> SyntheticTx:
        w = _PARAMS.unpack_from(d, 104)
        direct = w[1] % 10 < 6
        pool_coin = 10**9 + w[2] % 10**15
        pool_pc = 10**9 + w[3] % 10**13
        direction = 1 + w[4] % 2
        reserve_in, reserve_out = (pool_pc, pool_coin) if direction == 1 else (pool_coin, pool_pc)
        amount_in = 1_000 + w[5] % max(1_000, reserve_in // 50)
        out = reserve_out * amount_in * 9975 // (reserve_in * 10_000 + amount_in * 9975)
        minimum_out = out * (1000 - w[6] % 100) // 1000
        user_source = amount_in + (0 if w[7] % 3 else w[7] % 10**10)
        extra = w[0] % 3000 - 1500
        ray_log = wire.encode_ray_swap_base_in_log(
            amount_in=amount_in,
            minimum_out=minimum_out if direct else 0,
            direction=direction,
            user_source=user_source,
            pool_coin=pool_coin,
            pool_pc=pool_pc,
            out_amount=out,
        )
        if direct:
            instructions = wire.raydium_swap_direct(ray_log, extra)
            limit = (70_000, 100_000, 200_000)[w[0] % 3]
        else:
            instructions = wire.raydium_swap_routed(ray_log, amount_in, minimum_out, out, extra)
            limit = 95_000 + w[0] % 100_000
        logs = wire.render_logs(instructions, limit)
        payload = wire.logs_notification(
            slot=slot,
            signature=signature,
            err=None,
            logs=logs,
            subscription=self.raydium_subscription,
        )
        return SyntheticTx(index, RAYDIUM_SWAP, payload, signature, slot, None)

    # -- launches (rare: Faker and a full Random are affordable here) --------------------------

    def _fake(self, seed: int) -> Faker:
        if self._faker is None:
            from faker import Faker

            self._faker = Faker("en_US")
        self._faker.seed_instance(seed)
        return self._faker

    def _launch(self, index: int, kind: str, d: bytes, signature: str, slot: int) -> SyntheticTx:
        rng = random.Random(d[104:168])
        if kind == RAYDIUM_INIT or (kind == FAILED_LAUNCH and rng.random() > FAILED_PUMP_SHARE):
            return self._raydium_init(index, kind, rng, signature, slot)
        if kind == PUMP_CREATE_V2:
            current = True
        elif kind == PUMP_CREATE:
            current = False
        else:
            current = rng.random() < 0.65
        serial = rng.random() < SERIAL_SHARE
        pool = self._serial_pools[index % self.partitions]
        creator = rng.choice(pool) if serial else rng.randbytes(32)
        if current:
            mint = wire.pubkey_with_suffix(rng.getrandbits(256), "pump")
        else:
            mint = rng.randbytes(32)
        bonding_curve = rng.randbytes(32)
        name, symbol, uri = _identity(self._fake(rng.getrandbits(64)), current)
        timestamp = _unix_time(index)
        event = wire.CreateEvent(
            name=name,
            symbol=symbol,
            uri=uri,
            mint=mint,
            bonding_curve=bonding_curve,
            user=creator,
            creator=creator if current else None,
            timestamp=timestamp,
            token_program=_TOKEN_2022_BYTES,
        ).encode()
        buy_sol = _initial_buy_lamports(rng)
        extra = rng.randrange(-3000, 3000)
        failed = kind == FAILED_LAUNCH
        if failed:
            cap = buy_sol * rng.randrange(900, 999) // 1000
            buy = wire.pump_buy_failing(cap, buy_sol, legacy=not current, extra=extra // 4)
        else:
            tokens = wire.tokens_for_sol(
                buy_sol, wire.INITIAL_VIRTUAL_SOL_RESERVES, wire.INITIAL_VIRTUAL_TOKEN_RESERVES
            )
            vsol = wire.INITIAL_VIRTUAL_SOL_RESERVES + buy_sol
            vtok = wire.INITIAL_VIRTUAL_TOKEN_RESERVES - tokens
            trade = wire.TradeEvent(
                mint=mint,
                sol_amount=buy_sol,
                token_amount=tokens,
                is_buy=True,
                user=creator,
                timestamp=timestamp,
                virtual_sol_reserves=vsol,
                virtual_token_reserves=vtok,
                real_sol_reserves=buy_sol,
                real_token_reserves=vtok - _TOKEN_RESERVE_GAP,
                fee_recipient=rng.choice(_FEE_RECIPIENTS) if current else None,
                fee=buy_sol * 95 // 10_000,
                creator=creator,
                creator_fee=buy_sol * 30 // 10_000,
            ).encode()
            buy = (wire.pump_buy if current else wire.pump_buy_legacy)(trade, extra // 4)
        if current:
            create = wire.pump_create_v2(event, extra)
            instructions = [create, wire.ATA_CREATE_IDEMPOTENT_2022, buy]
            limit = rng.choice((300_000, 400_000, 600_000, 800_000))
            instruction, buy_index = "CreateV2", 2
        else:
            create = wire.pump_create_legacy(event, extra)
            instructions = [
                wire.COMPUTE_BUDGET_IX,
                wire.SYSTEM_IX,
                wire.COMPUTE_BUDGET_IX,
                create,
                wire.ATA_CREATE_LEGACY,
                buy,
            ]
            limit = rng.choice((200_000, 250_000, 300_000, 400_000))
            instruction, buy_index = "Create", 5
        logs = wire.render_logs(instructions, limit)
        err = wire.instruction_error(buy_index, wire.PUMP_TOO_MUCH_SOL) if failed else None
        if kind == TRUNCATED_LAUNCH:
            first = logs.index("Program log: Instruction: " + instruction)
            data = next(i for i, line in enumerate(logs) if line.startswith("Program data: "))
            logs = wire.truncate_logs(logs, rng.randrange(first + 1, data + 1))
            truth = LaunchTruth(
                launchpad=PUMP_FUN,
                instruction=instruction,
                mint=None,
                creator=None,
                name=None,
                symbol=None,
                uri=None,
                initial_buy_sol=None,
                truncated=True,
            )
        else:
            truth = LaunchTruth(
                launchpad=PUMP_FUN,
                instruction=instruction,
                mint=wire.b58encode(mint),
                creator=wire.b58encode(creator),
                name=name,
                symbol=symbol,
                uri=uri,
                initial_buy_sol=None if failed else buy_sol / wire.LAMPORTS_PER_SOL,
                bonding_curve=wire.b58encode(bonding_curve),
                serial_launcher=serial,
            )
        payload = wire.logs_notification(
            slot=slot, signature=signature, err=err, logs=logs, subscription=self.pump_subscription
        )
        return SyntheticTx(index, kind, payload, signature, slot, err, truth)

    def _raydium_init(
        self, index: int, kind: str, rng: random.Random, signature: str, slot: int
    ) -> SyntheticTx:
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
        if kind == FAILED_LAUNCH:
            instructions = wire.raydium_initialize2_repeat(
                nonce=nonce,
                open_time=open_time,
                init_pc_amount=pc_amount,
                init_coin_amount=coin_amount,
                pool=wire.b58encode(rng.randbytes(32)),
                extra=extra,
            )
            err = wire.instruction_error(4, wire.RAYDIUM_REPEAT_CREATE_AMM)
            limit = rng.choice((300_000, 400_000))
        else:
            init_log = wire.encode_ray_init_log(
                time=open_time,
                pc_decimals=pc_decimals,
                coin_decimals=coin_decimals,
                pc_lot_size=pc_lot,
                coin_lot_size=coin_lot,
                pc_amount=pc_amount,
                coin_amount=coin_amount,
                market=rng.randbytes(32),
            )
            instructions = wire.raydium_initialize2(
                nonce=nonce,
                open_time=open_time,
                init_pc_amount=pc_amount,
                init_coin_amount=coin_amount,
                init_log=init_log,
                extra=extra,
            )
            limit = 800_000
        logs = wire.render_logs(instructions, limit)
        truth = LaunchTruth(
            launchpad=RAYDIUM_AMM_V4,
            instruction="initialize2",
            mint=None,
            creator=None,
            name=None,
            symbol=None,
            uri=None,
            initial_buy_sol=None,
        )
        payload = wire.logs_notification(
            slot=slot,
            signature=signature,
            err=err,
            logs=logs,
            subscription=self.raydium_subscription,
        )
        return SyntheticTx(index, kind, payload, signature, slot, err, truth)


def _threshold(share: float) -> int:
    return min(_TWO64, max(0, round(share * _TWO64)))


def _unix_time(index: int) -> int:
    return BASE_UNIX_TIME + (index // FRAMES_PER_SLOT) * 2 // 5


def _initial_buy_lamports(rng: random.Random) -> int:
    """The creator's first buy: mostly 0.1-3 SOL, now and then dust or a whale."""
    sol = math.exp(rng.gauss(math.log(0.8), 1.1))
    sol = min(25.0, max(0.005, sol))
    return int(sol * wire.LAMPORTS_PER_SOL) + rng.randrange(0, 1000)


_NAME_PREFIXES = ("Baby", "Little", "Based", "Super", "Lil", "King", "Mega", "Dr", "Sir", "Giga")
_NAME_SUFFIXES = ("Coin", "Inu", "AI", "Cat", "Dog", "Frog", "2.0", "on Sol", "Token")
_EMOJIS = ("\U0001f680", "\U0001f438", "\U0001f525", "\U0001f436", "\U0001f48e")
_BASE32 = "abcdefghijklmnopqrstuvwxyz234567"


def _identity(fake: Faker, current: bool) -> tuple[str, str, str]:
    """Name, symbol and metadata URI of a token, the way launchers tend to pick them."""
    r = fake.random
    style = r.random()
    if style < 0.28:
        words = [fake.word()]
    elif style < 0.46:
        words = [fake.word(), fake.word()]
    elif style < 0.58:
        words = [fake.first_name()]
    elif style < 0.68:
        words = [r.choice(_NAME_PREFIXES), fake.first_name()]
    elif style < 0.78:
        words = [fake.word(), r.choice(_NAME_SUFFIXES)]
    elif style < 0.88:
        words = [fake.color_name(), fake.word()]
    else:
        words = fake.catch_phrase().split()[:3]
    case = r.random()
    if case < 0.15:
        name = " ".join(words).upper()
    elif case < 0.25:
        name = " ".join(words).lower()
    else:
        name = " ".join(w[:1].upper() + w[1:] for w in words)
    if r.random() < 0.04:
        name = f"{name} {r.choice(_EMOJIS)}"
    name = name[:32]
    letters = [w for w in words if w[:1].isalnum()]
    if len(letters) == 1 and len(letters[0]) <= 10 and r.random() < 0.4:
        symbol = letters[0] if case >= 0.15 and r.random() < 0.3 else letters[0].upper()
    elif len(letters) > 1 and r.random() < 0.5:
        symbol = "".join(w[0] for w in letters).upper()
    else:
        symbol = "".join(letters)[: r.randint(3, 6)].upper()
    symbol = symbol or "TKN"
    if current or r.random() < 0.3:
        cid = "bafkrei" + "".join(r.choices(_BASE32, k=52))
        host = "https://ipfs.io/ipfs/"
    else:
        cid = "Qm" + "".join(r.choices(wire.B58_ALPHABET, k=44))
        host = r.choice(("https://cf-ipfs.com/ipfs/", "https://ipfs.io/ipfs/"))
    return name, symbol, host + cid


# --- pure entry points -----------------------------------------------------------------------

_local = threading.local()


def generator_for(
    seed: int, launch_ratio: float = DEFAULT_LAUNCH_RATIO, partitions: int = 1
) -> SyntheticGenerator:
    """This thread's generator for ``(seed, launch_ratio, partitions)`` (built once, reused)."""
    cache: dict[tuple[int, float, int], SyntheticGenerator] | None = getattr(_local, "cache", None)
    if cache is None:
        cache = _local.cache = {}
    key = (seed, launch_ratio, partitions)
    found = cache.get(key)
    if found is None:
        if len(cache) > 32:
            cache.clear()
        found = cache[key] = SyntheticGenerator(seed, launch_ratio, partitions)
    return found


def generate(
    seed: int, index: int, launch_ratio: float = DEFAULT_LAUNCH_RATIO, partitions: int = 1
) -> SyntheticTx:
    """Frame `index` of the stream ``(seed, launch_ratio, partitions)``, with its ground truth.

    Pure: the same arguments give the same bytes in any process, at any time.
    """
    return generator_for(seed, launch_ratio, partitions).tx(index)


def generate_range(
    seed: int,
    total: int,
    launch_ratio: float = DEFAULT_LAUNCH_RATIO,
    start: int = 0,
    partitions: int = 1,
) -> Iterator[SyntheticTx]:
    """Frames ``start .. total-1`` in global order: what a run with ``total`` emits, all
    partitions together."""
    gen = generator_for(seed, launch_ratio, partitions)
    for index in range(start, total):
        yield gen.tx(index)


def frames_of_partition(total: int, partition: int, partitions: int) -> int:
    """How many of the frames ``0 .. total-1`` belong to `partition` (``g % partitions``)."""
    if partition >= total:
        return 0
    return (total - partition + partitions - 1) // partitions


# --- the Bytewax source ----------------------------------------------------------------------


class SyntheticPartition(StatefulSourcePartition[RawFrame, int]):
    """Partition ``p`` of ``n``: emits frames ``g = p + k * n`` for ``k = position, ...``.

    The snapshot is ``k``, the number of frames this partition has emitted so far. With a rate,
    frame ``k`` is due ``(k - resumed_at) / rate`` seconds after the partition was built; a
    partition that fell behind (a stalled dataflow) catches up in capped batches, the way a
    backlog arrives after a reconnect.
    """

    def __init__(
        self,
        *,
        partition: int,
        partitions: int,
        position: int,
        seed: int,
        launch_ratio: float,
        rate: float,
        total: int | None,
        clock: Callable[[], float],
        batch_size: int,
    ) -> None:
        self._partition = partition
        self._partitions = partitions
        self._position = position
        self._start_position = position
        self._seed = seed
        self._launch_ratio = launch_ratio
        self._count = None if total is None else frames_of_partition(total, partition, partitions)
        self._per_second = rate / partitions
        self._clock = clock
        self._batch_size = batch_size
        self._started = clock()

    def next_batch(self) -> list[RawFrame]:
        k = self._position
        end = k + self._batch_size
        if self._count is not None:
            if k >= self._count:
                raise StopIteration
            end = min(end, self._count)
        now = self._clock()
        if self._per_second > 0:
            # frame k is due at started + (k - start_position) / rate; 1 us of slack absorbs the
            # rounding of epoch-sized floats, so a frame is never late for its own due time
            elapsed = (now - self._started + 1e-6) * self._per_second
            due = self._start_position + math.floor(elapsed) + 1
            end = min(end, due)
            if end <= k:
                return []
        # the generator (and its Faker) belongs to the thread that runs this batch
        payload = generator_for(self._seed, self._launch_ratio, self._partitions).payload
        p, n = self._partition, self._partitions
        batch = [RawFrame(payload(p + i * n), now) for i in range(k, end)]
        self._position = end
        return batch

    def next_awake(self) -> datetime | None:
        if self._per_second <= 0:
            return None
        if self._count is not None and self._position >= self._count:
            return None
        due = self._started + (self._position - self._start_position) / self._per_second
        return datetime.fromtimestamp(due, tz=timezone.utc)

    def snapshot(self) -> int:
        return self._position


class SyntheticSource(FixedPartitionedSource[RawFrame, int]):
    """Realistic Solana ``logsNotification`` frames, generated, with no network.

    :arg rate: frames per second over all partitions (each partition runs ``rate / partitions``
        on a fixed schedule); 0 = as fast as possible.
    :arg launch_ratio: share of frames that are successful launches (see the module doc for the
        whole mix).
    :arg total: end of stream after exactly this many frames over all partitions; None = endless.
    :arg seed: same seed, same frames (byte for byte, same order per partition) at any rate.
    :arg partitions: partitions ``synthetic-0 .. synthetic-{n-1}``; frame ``g`` is in ``g % n``.
    :arg clock: stamps `RawFrame.arrived_at` and drives the rate schedule.
    :arg batch_size: frames per `next_batch` when unthrottled; the cap per batch otherwise.
    """

    def __init__(
        self,
        rate: float = 0.0,
        launch_ratio: float = DEFAULT_LAUNCH_RATIO,
        total: int | None = None,
        seed: int = 1,
        partitions: int = 1,
        clock: Callable[[], float] = time.time,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        problems = []
        if not (rate >= 0 and math.isfinite(rate)):
            problems.append(f"rate={rate!r}: must be a finite number >= 0")
        if not 0.0 <= launch_ratio <= 1.0:
            problems.append(f"launch_ratio={launch_ratio!r}: must be between 0 and 1")
        if total is not None and total < 0:
            problems.append(f"total={total!r}: must be >= 0 or None")
        if partitions < 1:
            problems.append(f"partitions={partitions!r}: must be >= 1")
        if batch_size < 1:
            problems.append(f"batch_size={batch_size!r}: must be >= 1")
        if problems:
            raise ValueError("; ".join(problems))
        self.rate = float(rate)
        self.launch_ratio = launch_ratio
        self.total = total
        self.seed = seed
        self.partitions = partitions
        self.clock = clock
        self.batch_size = batch_size

    @classmethod
    def from_config(
        cls, config: SnifferConfig, clock: Callable[[], float] = time.time
    ) -> SyntheticSource:
        """The source the ``synthetic_*`` fields of the configuration describe."""
        return cls(
            rate=config.synthetic_rate,
            launch_ratio=config.synthetic_launch_ratio,
            total=config.synthetic_total,
            seed=config.synthetic_seed,
            partitions=config.synthetic_partitions,
            clock=clock,
        )

    def partition_names(self) -> list[str]:
        return [f"synthetic-{i}" for i in range(self.partitions)]

    def list_parts(self) -> list[str]:
        # Every worker can generate every partition; Bytewax assigns each to one worker.
        return self.partition_names()

    def build_part(
        self, step_id: str, for_part: str, resume_state: int | None
    ) -> SyntheticPartition:
        prefix, _, number = for_part.rpartition("-")
        if prefix != "synthetic" or not number.isdigit() or int(number) >= self.partitions:
            raise ValueError(f"{for_part!r} is not a partition of this source")
        return SyntheticPartition(
            partition=int(number),
            partitions=self.partitions,
            position=resume_state or 0,
            seed=self.seed,
            launch_ratio=self.launch_ratio,
            rate=self.rate,
            total=self.total,
            clock=self.clock,
            batch_size=self.batch_size,
        )
