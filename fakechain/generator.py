"""The synthetic generator: the seeded choice of what happens in frame ``g``, and its frame.

Frames are ``logsNotification`` messages (bytes, as a ``logsSubscribe`` websocket delivers them)
whose logs follow real mainnet transactions line by line (`fakechain.shapes`). Frame number ``g``
(the global index) is a pure function of ``(seed, g, launch_ratio, partitions)``: `generate`
returns it with its ground truth (`fakechain.truth`).

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

import dataclasses
import hashlib
import math
import random
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

from fakechain import encode, truth
from fakechain.encode import BASE_SLOT, FRAMES_PER_SLOT, PARAMS
from fakechain.truth import SyntheticTx
from solwire.base58 import b58encode, signature_from_entropy

if TYPE_CHECKING:
    from faker import Faker

# --- the mix ---------------------------------------------------------------------------------

DEFAULT_LAUNCH_RATIO = 0.01
FAILED_LAUNCH_SHARE = 0.002
DUPLICATE_SHARE = 0.005
#: How successful launches split (shares of ``launch_ratio``), in draw order.
LAUNCH_MIX = (
    (truth.PUMP_CREATE_V2, 0.55),
    (truth.PUMP_CREATE, 0.27),
    (truth.RAYDIUM_INIT, 0.15),
    (truth.TRUNCATED_LAUNCH, 0.03),
)
#: Share of pump.fun among the ordinary (non-launch) frames; Raydium swaps are the rest.
PUMP_TRADE_SHARE = 0.7
#: Share of failed launches that are pump.fun creates (the rest: Raydium RepeatCreateAmm).
FAILED_PUMP_SHARE = 0.7
SERIAL_LAUNCHERS = 5
#: How far back a duplicate looks for the latest launch to repeat.
DUPLICATE_LOOKBACK = 256


_TWO64 = 1 << 64
# Frame entropy: u (kind) 0:8, v (sub-kind) 8:16, signature 16:104, eight u64 parameters
# 104:168, three 32-byte keys 168:264.
_DIGEST_BYTES = 264

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
        self.serial_launcher_keys = tuple(b58encode(k) for k in self.serial_launchers)
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
            return truth.FAILED_LAUNCH
        if u < self._t_duplicate:
            return truth.DUPLICATE
        return truth.PUMP_TRADE if v < self._t_pump_trade else truth.RAYDIUM_SWAP

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
        if kind == truth.DUPLICATE:
            dup = self._duplicate(index, d)
            if dup is not None:
                return dup
            kind = truth.PUMP_TRADE if v < self._t_pump_trade else truth.RAYDIUM_SWAP
        signature = signature_from_entropy(d[16:104])
        slot = BASE_SLOT + index // FRAMES_PER_SLOT
        if kind == truth.PUMP_TRADE:
            return encode.pump_trade(index, d, signature, slot, self.pump_subscription)
        if kind == truth.RAYDIUM_SWAP:
            return encode.raydium_swap(index, d, signature, slot, self.raydium_subscription)
        return self._launch(index, kind, d, signature, slot)

    def _duplicate(self, index: int, d: bytes) -> SyntheticTx | None:
        w = PARAMS.unpack_from(d, 104)
        target = -1
        if w[0] % 2 == 0 and self._t_launch:
            for back in range(1, min(DUPLICATE_LOOKBACK, index) + 1):
                if self.kind(index - back) in (
                    truth.PUMP_CREATE,
                    truth.PUMP_CREATE_V2,
                    truth.RAYDIUM_INIT,
                ):
                    target = index - back
                    break
        if target < 0:
            target = index - 1 - w[1] % 64
        if target < 0:
            return None
        original = self.tx(target)
        if original.duplicate_of is not None:
            target = original.duplicate_of
        return dataclasses.replace(original, index=index, kind=truth.DUPLICATE, duplicate_of=target)

    # -- launches (rare: Faker and a full Random are affordable here) --------------------------

    def _fake(self, seed: int) -> Faker:
        if self._faker is None:
            from faker import Faker

            self._faker = Faker("en_US")
        self._faker.seed_instance(seed)
        return self._faker

    def _launch(self, index: int, kind: str, d: bytes, signature: str, slot: int) -> SyntheticTx:
        rng = random.Random(d[104:168])
        if kind == truth.RAYDIUM_INIT or (
            kind == truth.FAILED_LAUNCH and rng.random() > FAILED_PUMP_SHARE
        ):
            return encode.raydium_init(index, kind, rng, signature, slot, self.raydium_subscription)
        pool = self._serial_pools[index % self.partitions]
        return encode.pump_launch(
            index, kind, rng, signature, slot, self.pump_subscription, pool, self._fake
        )


def _threshold(share: float) -> int:
    return min(_TWO64, max(0, round(share * _TWO64)))


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
