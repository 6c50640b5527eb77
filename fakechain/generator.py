"""The synthetic generator: the seeded choice of what happens in frame ``g``, and its frame.

Frames are ``logsNotification`` messages (bytes, as a ``logsSubscribe`` websocket delivers them,
one subscription per launchpad program) whose logs follow real mainnet transactions line by line
(`fakechain.shapes`). Frame number ``g`` (the global index) is a pure function of ``(seed, g,
launch_ratio, partitions, launchpad_mix)``: `generate` returns it with its ground truth
(`fakechain.truth`). What each frame is (its kind draws, signature and trade body) is drawn for
blocks of 64 frames of one partition at once (a partition's frames come out of its own blocks,
so the entropy a process draws does not grow with the number of partitions); a launch or a
duplicate draws its parameters from entropy of its own index.

What the stream holds (shares of all frames, ``r`` = ``launch_ratio``):

================  ===========================  ============================================
kind              share                        what it is
================  ===========================  ============================================
(launches)        r, split by the launchpad    see the launchpad mix below
                  mix
failed_launch     0.002 (fixed)                a launch whose transaction failed (``err``
                                               set), its launchpad drawn from the same mix;
                                               the launch lines are still in the logs
duplicate         0.005 (fixed)                an earlier frame of the same partition delivered
                                               again, byte-identical; half of them repeat its
                                               latest real launch
pump_trade        0.7 of the rest              pump.fun Buy / Sell with TradeEvents
raydium_swap      0.3 of the rest              Raydium AMM v4 swaps (``ray_log`` type 3)
================  ===========================  ============================================

The fixed shares shrink proportionally when ``r`` leaves them no room (``r > 0.993``), so the
share of successful launches is always ``r``.

The launchpad mix (`DEFAULT_LAUNCHPAD_MIX`, shares of the launches; the ``synthetic_launchpad_mix``
setting replaces it) and the frame kinds each launchpad's launches come as:

=================  =====  ================================================================
launchpad          share  frames
=================  =====  ================================================================
pump_fun           0.70   ``pump_create_v2`` (64 %), ``pump_create`` (legacy, 32 %),
                          ``truncated_launch`` (4 %: cut by ``Log truncated`` before its
                          CreateEvent, fields unknown); each with the creator's Buy
raydium_launchlab  0.12   ``module_launch``: the module's encoder (`Launchpad.synthetic`)
meteora_dbc        0.06   ``module_launch``
pump_swap          0.04   ``graduation``: a ``CreatePool`` for the mint of a pump.fun create
                          made earlier in the same partition (below)
moonshot           0.02   ``module_launch``
raydium_cpmm       0.02   ``module_launch``
meteora_damm_v2    0.02   ``module_launch``
raydium_amm_v4     0.02   ``raydium_init``: ``initialize2`` (no mint in logs)
=================  =====  ================================================================

Where the numbers come from (shared docs, launchpads.md section 0 item 1 and section 1.0):
pump.fun made about 23,900 creates a day against LetsBonk's (Raydium LaunchLab) 3,954, a ratio of
6 to 1: 0.70 to 0.12. Meteora DBC (Jupiter Studio, Bags, Believe, ...) ranks next; its create
count is unverified, and its 64 graduations a day against LetsBonk's 51 say it is of the same order,
so it gets half of LaunchLab's share. Graduations are rare on chain (pump.fun 151 a day: 0.6 % of
its creates) and are over-represented here on purpose, in the chain's own order (pump.fun 151 >
Jupiter Studio's DBC -> DAMM v2 64 > LetsBonk's LaunchLab -> CPMM 51), so that a stream of a few
thousand frames holds each kind: pump_swap 0.04, DAMM v2 and CPMM 0.02 each. Moonshot is "small"
and Raydium AMM v4 new pools "now rare" (0 in a 14-minute 2026 sample): 0.02 each, enough to be
seen.

A launchpad without an encoder (pump_fun and raydium_amm_v4 always have one here; the others need
their module's `Launchpad.synthetic`) is left out and the remaining shares are scaled up to fill
``r``. A graduation at frame ``g`` of partition ``p`` pools the mint of one of the pump.fun creates
(legacy or v2, not truncated or failed) of partition ``p`` after the partition's previous
graduation and before ``g`` (chosen by ``g``'s entropy; looking back at most
`GRADUATION_LOOKBACK` frames of the partition): each create graduates at most once, after it was
created, and the frame stays a pure function of its index. With no such create, the pool is for a
fresh pump.fun-style mint the job never saw created.

Trades and swaps carry nothing the job reports, and they are most of the stream: each frame takes
one of `ORDINARY_BODIES` bodies per kind (logs, events, amounts, compute units; made once per
generator from entropy of their own) and its own signature and slot. Their contents repeat every
few thousand frames; launches never do.

About 15 % of pump.fun launches come from a pool of five serial launchers per partition derived
from the seed (a creator's launches all come out of one partition, so their order, and with it
every score, is the same every run); the other creators are fresh keys.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import random
import struct
import threading
from collections.abc import Iterator, Mapping
from typing import Any

from fakechain import encode, truth
from fakechain.encode import BASE_SLOT, FRAMES_PER_SLOT, PARAMS
from fakechain.module_pool import ModulePool
from fakechain.truth import SyntheticTx
from solwire.base58 import ALPHABET, b58encode, signature_from_entropy
from solwire.launchpads import BY_NAME, NAMES, REGISTRY
from solwire.programs import PUMP_FUN, PUMP_SWAP, RAYDIUM_AMM_V4

# --- the mix ---------------------------------------------------------------------------------

DEFAULT_LAUNCH_RATIO = 0.01
FAILED_LAUNCH_SHARE = 0.002
DUPLICATE_SHARE = 0.005
#: Shares of the launches per launchpad (see the module doc for where they come from).
DEFAULT_LAUNCHPAD_MIX: Mapping[str, float] = {
    PUMP_FUN: 0.70,
    "raydium_launchlab": 0.12,
    "meteora_dbc": 0.06,
    PUMP_SWAP: 0.04,
    "moonshot": 0.02,
    "raydium_cpmm": 0.02,
    "meteora_damm_v2": 0.02,
    RAYDIUM_AMM_V4: 0.02,
}
#: Launchpads whose launches this package writes itself (mainnet-shaped, with legacy, truncated
#: and failed variants); every other one needs its module's `Launchpad.synthetic`.
NATIVE_ENCODERS = frozenset({PUMP_FUN, RAYDIUM_AMM_V4})
#: How pump.fun launches split, in draw order.
PUMP_MIX = (
    (truth.PUMP_CREATE_V2, 0.64),
    (truth.PUMP_CREATE, 0.32),
    (truth.TRUNCATED_LAUNCH, 0.04),
)
#: How far back (in frames of its partition) a graduation looks for the create it pools.
GRADUATION_LOOKBACK = 20_000
#: Share of pump.fun among the ordinary (non-launch) frames; Raydium swaps are the rest.
PUMP_TRADE_SHARE = 0.7
SERIAL_LAUNCHERS = 5
#: How far back (in frames of its partition) a duplicate looks for the latest launch to repeat.
DUPLICATE_LOOKBACK = 256
#: Trades and swaps are drawn from this many bodies per kind (see the module doc).
ORDINARY_BODIES = 1024
_SIGNATURE_MARK = "\u00a7signature\u00a7"


_TWO64 = 1 << 64
# A frame's head, drawn for blocks of `_BLOCK` frames of one partition at once: u (kind) 0:8,
# v (sub-kind) 8:16, signature 16:104, the body of a trade or swap 104:112.
_BLOCK = 64
_HEAD_BYTES = 112
_HEAD = struct.Struct("<QQ88xQ")
#: A block: its heads' bytes, per frame (kind, launchpad or None, body number), and the offsets
#: and kinds of its launches and failed launches.
_Block = tuple[bytes, tuple[tuple[str, str | None, int], ...], tuple[tuple[int, str], ...]]
# A launch's (or duplicate's) own entropy: eight u64 parameters 104:168 (0:104 unused, the
# layout of the trade bodies' entropy, whose keys are at 168:264).
_DIGEST_BYTES = 264
_SIGNATURE_HEADS = tuple(ALPHABET[1 + i].encode() for i in range(4))
_BASE58_BYTES = bytes(ord(ALPHABET[i % 58]) for i in range(256))

# --- the generator ---------------------------------------------------------------------------


def available_launchpads() -> tuple[str, ...]:
    """The registry launchpads the generator can write launches for, in registry order."""
    return tuple(
        lp.name for lp in REGISTRY if lp.name in NATIVE_ENCODERS or lp.synthetic is not None
    )


def launch_shares(mix: Mapping[str, float] | None = None) -> dict[str, float]:
    """The share of the launches each launchpad gets from `mix` (default `DEFAULT_LAUNCHPAD_MIX`):
    launchpads without an encoder left out, the rest scaled to sum to 1, in registry order.

    Raises ValueError for a name outside the registry, a negative or non-finite share, or a mix
    that leaves no launchpad with an encoder and a share above 0.
    """
    mix = DEFAULT_LAUNCHPAD_MIX if mix is None else mix
    problems = [f"{name!r} is not a launchpad" for name in mix if name not in BY_NAME]
    problems += [
        f"{name}={share!r}: a share must be a finite number >= 0"
        for name, share in mix.items()
        if not (math.isfinite(share) and share >= 0)
    ]
    if problems:
        raise ValueError("launchpad mix: " + "; ".join(problems))
    usable = {name: float(mix.get(name, 0.0)) for name in available_launchpads()}
    total = sum(usable.values())
    if total <= 0:
        raise ValueError(
            "launchpad mix: no launchpad with a share above 0 has an encoder "
            f"(launchpads with one: {', '.join(available_launchpads())})"
        )
    return {name: share / total for name, share in usable.items() if share > 0}


def _mix_key(mix: Mapping[str, float] | None) -> tuple[tuple[str, float], ...] | None:
    return None if mix is None else tuple(sorted((k, float(v)) for k, v in mix.items()))


class SyntheticGenerator:
    """Frames for one ``(seed, launch_ratio, partitions, launchpad_mix)``; holds what does not
    change from frame to frame.

    Not thread-safe (it keeps caches of the latest frames' kinds): use one per thread, as
    `generate` and the source partitions do.
    """

    def __init__(
        self,
        seed: int,
        launch_ratio: float = DEFAULT_LAUNCH_RATIO,
        partitions: int = 1,
        launchpad_mix: Mapping[str, float] | None = None,
    ) -> None:
        if partitions < 1:
            raise ValueError(f"partitions={partitions!r}: must be at least 1")
        if not 0.0 <= launch_ratio <= 1.0 or math.isnan(launch_ratio):
            raise ValueError(f"launch_ratio={launch_ratio!r}: must be between 0 and 1")
        self.seed = seed
        self.launch_ratio = launch_ratio
        self.shares = launch_shares(launchpad_mix)
        tag = f"premint-sniffer/synthetic/v1/{seed}".encode()
        self._hasher = hashlib.shake_256(tag)
        extras = FAILED_LAUNCH_SHARE + DUPLICATE_SHARE
        scale = min(1.0, (1.0 - launch_ratio) / extras)
        self._t_launch = _threshold(launch_ratio)
        self._t_failed = _threshold(launch_ratio + FAILED_LAUNCH_SHARE * scale)
        self._t_duplicate = _threshold(launch_ratio + extras * scale)
        # (upper threshold, lower threshold, launchpad) in registry order, the last one closed
        cumulative, mix = 0.0, []
        for name, share in self.shares.items():
            low = _threshold(cumulative)
            cumulative += share
            mix.append((_threshold(cumulative), low, name))
        mix[-1] = (_TWO64, mix[-1][1], mix[-1][2])
        self._launchpad_mix = tuple(mix)
        cumulative, pump = 0.0, []
        for kind, share in PUMP_MIX:
            cumulative += share
            pump.append((_threshold(cumulative), kind))
        pump[-1] = (_TWO64, pump[-1][1])
        self._pump_mix = tuple(pump)
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
        self._serial_keys = tuple(tuple(b58encode(k) for k in pool) for pool in pools)
        self.pump_subscription = setup.randrange(1_000, 60_000)
        self.raydium_subscription = self.pump_subscription + 1 + setup.randrange(1, 500)
        #: The logsSubscribe subscription id of each launchpad's program.
        self.subscriptions = {
            name: self.pump_subscription + 1000 + 7 * number for number, name in enumerate(NAMES)
        }
        self.subscriptions[PUMP_FUN] = self.pump_subscription
        self.subscriptions[RAYDIUM_AMM_V4] = self.raydium_subscription
        # Lookbacks (a duplicate's latest launch, a graduation's create) ask for the kinds of
        # the frames just generated, and a graduation for the truth of its create: both are
        # remembered for the latest frames, in two generations (the older one dropped whole);
        # the latest launches are kept whole for the duplicates that repeat them.
        self._blocks: dict[tuple[int, int], _Block] = {}
        self._older_blocks: dict[tuple[int, int], _Block] = {}
        self._launch_lists: dict[tuple[int, int], tuple[tuple[int, str], ...]] = {}
        self._older_launch_lists: dict[tuple[int, int], tuple[tuple[int, str], ...]] = {}
        self._recent: dict[int, SyntheticTx] = {}
        self._module_pool = ModulePool(tag, encode.module_extras)
        self._bodies: dict[tuple[str, int], bytes] = {}
        self._creates: dict[int, truth.LaunchTruth] = {}
        self._older_creates: dict[int, truth.LaunchTruth] = {}

    # -- cheap parts ---------------------------------------------------------------------------

    def _digest(self, index: int, size: int = _DIGEST_BYTES) -> bytes:
        """The entropy of a launch, failed launch or duplicate: its parameters and keys."""
        h = self._hasher.copy()
        h.update(index.to_bytes(8, "little"))
        return h.digest(size)

    def _block(self, partition: int, number: int) -> _Block:
        """Block `number` of `partition`'s frames: their heads (kind draws, signature, body)
        drawn in one go, and what they are."""
        key = (partition, number)
        found = self._blocks.get(key) or self._older_blocks.get(key)
        if found is None:
            h = self._hasher.copy()
            h.update(b"/heads/%d/%d" % key)
            heads = h.digest(_BLOCK * _HEAD_BYTES)
            choose = self._choose
            kinds = tuple(
                (*choose(u, v), body % ORDINARY_BODIES) for u, v, body in _HEAD.iter_unpack(heads)
            )
            launches = tuple(
                (offset, kind) for offset, (kind, pad, _) in enumerate(kinds) if pad is not None
            )
            found = (heads, kinds, launches)
            if len(self._blocks) >= _REMEMBERED_BLOCKS:
                self._older_blocks, self._blocks = self._blocks, {}
            self._blocks[key] = found
            if len(self._launch_lists) >= _REMEMBERED_LAUNCH_LISTS:
                self._older_launch_lists, self._launch_lists = self._launch_lists, {}
            self._launch_lists[key] = launches
        return found

    def _launch_list(self, partition: int, number: int) -> tuple[tuple[int, str], ...]:
        """Block `number`'s launches and failed launches (kept longer than the blocks)."""
        key = (partition, number)
        found = self._launch_lists.get(key) or self._older_launch_lists.get(key)
        return self._block(partition, number)[2] if found is None else found

    def _launches_before(self, index: int, lookback: int) -> Iterator[tuple[int, str]]:
        """The frames of `index`'s partition among the `lookback` before it that are launches or
        failed launches, latest first, with their kinds (what the lookbacks look for; the
        blocks list them, so a lookback skips the trades and swaps between them)."""
        n = self.partitions
        partition, k = index % n, index // n
        lowest = max(0, k - lookback)
        number = k // _BLOCK
        while number >= 0 and (number + 1) * _BLOCK > lowest:
            for offset, kind in reversed(self._launch_list(partition, number)):
                earlier = number * _BLOCK + offset
                if lowest <= earlier < k:
                    yield partition + earlier * n, kind
            number -= 1

    def kind(self, index: int) -> str:
        """The kind frame `index` is drawn as (before a duplicate too early to have a
        predecessor falls back to an ordinary frame)."""
        return self.choice(index)[0]

    def choice(self, index: int) -> tuple[str, str | None]:
        """The kind frame `index` is drawn as and, for a launch or a failed launch, its
        launchpad (cheap: no frame is built)."""
        k = index // self.partitions
        kind, launchpad, _ = self._block(index % self.partitions, k // _BLOCK)[1][k % _BLOCK]
        return kind, launchpad

    def _choose(self, u: int, v: int) -> tuple[str, str | None]:
        if u < self._t_launch:
            name, rest = self._launchpad(v)
            if name == PUMP_FUN:
                for threshold, kind in self._pump_mix:
                    if rest < threshold:
                        return kind, name
            if name == RAYDIUM_AMM_V4:
                return truth.RAYDIUM_INIT, name
            if name == PUMP_SWAP:
                return truth.GRADUATION, name
            return truth.MODULE_LAUNCH, name
        if u < self._t_failed:
            return truth.FAILED_LAUNCH, self._launchpad(v)[0]
        if u < self._t_duplicate:
            return truth.DUPLICATE, None
        return (truth.PUMP_TRADE if v < self._t_pump_trade else truth.RAYDIUM_SWAP), None

    def _launchpad(self, v: int) -> tuple[str, int]:
        """The launchpad `v` falls on, and where in its share it fell (uniform, 64 bits): the
        second draw of the pump.fun sub-kind."""
        for high, low, name in self._launchpad_mix:
            if v < high:
                return name, (v - low) * _TWO64 // max(1, high - low)
        raise AssertionError("the last threshold is 2**64")  # pragma: no cover

    def payload(self, index: int) -> bytes:
        """Frame `index`'s bytes (`tx`'s payload, without building its truth where it has
        none)."""
        if index < 0:
            raise ValueError(f"index={index}: frames are numbered from 0")
        k = index // self.partitions
        heads, kinds, _ = self._block(index % self.partitions, k // _BLOCK)
        kind, launchpad, body = kinds[k % _BLOCK]
        if launchpad is not None or kind == truth.DUPLICATE:
            return self.tx(index).payload
        at = (k % _BLOCK) * _HEAD_BYTES
        signature = _SIGNATURE_HEADS[heads[at + 16] % 4] + heads[at + 17 : at + 104].translate(
            _BASE58_BYTES
        )
        slot = BASE_SLOT + index // FRAMES_PER_SLOT
        return self._body(kind, body) % (slot, signature)

    # -- frames --------------------------------------------------------------------------------

    def tx(self, index: int) -> SyntheticTx:
        """Frame `index` with its ground truth."""
        if index < 0:
            raise ValueError(f"index={index}: frames are numbered from 0")
        k = index // self.partitions
        heads, kinds, _ = self._block(index % self.partitions, k // _BLOCK)
        kind, launchpad, body = kinds[k % _BLOCK]
        at = (k % _BLOCK) * _HEAD_BYTES
        d = b""
        if kind == truth.DUPLICATE:
            d = self._digest(index)
            dup = self._duplicate(index, d)
            if dup is not None:
                return dup
            v = int.from_bytes(heads[at + 8 : at + 16], "little")
            kind = truth.PUMP_TRADE if v < self._t_pump_trade else truth.RAYDIUM_SWAP
        signature = signature_from_entropy(heads[at + 16 : at + 104])
        slot = BASE_SLOT + index // FRAMES_PER_SLOT
        if launchpad is None:  # a trade or a swap: one of the bodies, with its own signature
            payload = self._body(kind, body) % (slot, signature.encode())
            return SyntheticTx(index, kind, payload, signature, slot, None)
        found = self._recent.get(index)
        if found is None:
            found = self._launch(index, kind, launchpad, d or self._digest(index), signature, slot)
            # duplicates and graduations look back at the latest launches: keep them a while
            if len(self._recent) >= _REMEMBERED_LAUNCHES:
                self._recent.clear()
            self._recent[index] = found
        return found

    def _body(self, kind: str, number: int) -> bytes:
        """Body `number` of the trades or swaps: a frame's %-format awaiting its slot and
        signature, built once from entropy of its own."""
        key = (kind, number)
        found = self._bodies.get(key)
        if found is None:
            h = self._hasher.copy()
            h.update(f"/{kind}/{number}".encode())
            d = h.digest(_DIGEST_BYTES)
            if kind == truth.PUMP_TRADE:
                made = encode.pump_trade(number, d, _SIGNATURE_MARK, 0, self.pump_subscription)
            else:
                made = encode.raydium_swap(number, d, _SIGNATURE_MARK, 0, self.raydium_subscription)
            body = made.payload.replace(b"%", b"%%")
            body = body.replace(b'{"slot":0}', b'{"slot":%d}', 1)
            found = self._bodies[key] = body.replace(_SIGNATURE_MARK.encode(), b"%s", 1)
        return found

    def _duplicate(self, index: int, d: bytes) -> SyntheticTx | None:
        # A duplicate repeats a frame of its own partition: one from another partition could
        # arrive before the original (partitions run at their own pace), and the job's output
        # (which copy counts, a graduation seen before or after its create) would then depend on
        # the interleaving.
        w = PARAMS.unpack_from(d, 104)
        n = self.partitions
        target = -1
        if w[0] % 2 == 0 and self._t_launch:
            for earlier, kind in self._launches_before(index, DUPLICATE_LOOKBACK):
                if kind in _REPEATED_LAUNCHES:
                    target = earlier
                    break
        if target < 0:
            target = index - n * (1 + w[1] % 64)
        if target < 0:
            return None
        original = self.tx(target)
        if original.duplicate_of is not None:
            target = original.duplicate_of
        return dataclasses.replace(original, index=index, kind=truth.DUPLICATE, duplicate_of=target)

    # -- launches ----------------------------------------------------------------------------

    def _launch(
        self, index: int, kind: str, launchpad: str, d: bytes, signature: str, slot: int
    ) -> SyntheticTx:
        # seeded from an int: a third cheaper than from bytes (no SHA-512 of the seed)
        rng = random.Random(int.from_bytes(d[104:120], "little"))
        subscription = self.subscriptions[launchpad]
        if launchpad == RAYDIUM_AMM_V4:
            return encode.raydium_init(index, kind, rng, signature, slot, subscription)
        if launchpad == PUMP_FUN:
            pool = self._serial_pools[index % self.partitions]
            keys = self._serial_keys[index % self.partitions]
            tx = encode.pump_launch(index, kind, rng, signature, slot, subscription, pool, keys)
            if kind in _GRADUATING and tx.launch is not None:
                if len(self._creates) >= _REMEMBERED:
                    self._older_creates, self._creates = self._creates, {}
                self._creates[index] = tx.launch
            return tx
        graduation = self._graduated(index, d) if kind == truth.GRADUATION else None
        return encode.module_launch(
            index,
            kind,
            BY_NAME[launchpad],
            rng,
            signature,
            slot,
            subscription,
            self._module_pool,
            graduation,
        )

    def _graduated(self, index: int, d: bytes) -> tuple[int, truth.LaunchTruth] | None:
        """The pump.fun create a graduation at `index` pools: one of its partition's creates
        since the partition's previous graduation, chosen by `d`; None when there is none."""
        creates: list[int] = []
        for earlier, kind in self._launches_before(index, GRADUATION_LOOKBACK):
            if kind == truth.GRADUATION:
                break
            if kind in _GRADUATING:
                creates.append(earlier)
        if not creates:
            return None
        chosen = creates[PARAMS.unpack_from(d, 104)[7] % len(creates)]
        created = self._creates.get(chosen) or self._older_creates.get(chosen)
        if created is None:
            created = self.tx(chosen).launch
        assert created is not None and created.mint is not None
        return chosen, created


#: Kinds a duplicate that repeats "the latest real launch" looks for.
_REPEATED_LAUNCHES = frozenset(truth.LAUNCH_KINDS - {truth.TRUNCATED_LAUNCH})
#: pump.fun creates whose mint the job sees, so a later graduation of it is a graduation to it.
_GRADUATING = frozenset({truth.PUMP_CREATE, truth.PUMP_CREATE_V2})


# What a generator keeps, per generation (the older generation is dropped whole), so that its
# memory stays flat: what is not kept is drawn again, the same. pump.fun creates' truths (for
# the graduations, which pool one of the creates since the partition's previous graduation);
_REMEMBERED = 2048
# blocks of heads (the frames in the works); the launches of blocks (for the lookbacks: 256
# blocks are 16,384 frames of a partition);
_REMEMBERED_BLOCKS = 8
_REMEMBERED_LAUNCH_LISTS = 256
# the latest launches, whole (a duplicate repeating the latest launch looks 256 frames back).
_REMEMBERED_LAUNCHES = 64


def _threshold(share: float) -> int:
    return min(_TWO64, max(0, round(share * _TWO64)))


# --- pure entry points -----------------------------------------------------------------------

_local = threading.local()


def generator_for(
    seed: int,
    launch_ratio: float = DEFAULT_LAUNCH_RATIO,
    partitions: int = 1,
    launchpad_mix: Mapping[str, float] | None = None,
) -> SyntheticGenerator:
    """This thread's generator for ``(seed, launch_ratio, partitions, launchpad_mix)`` (built
    once, reused)."""
    cache: dict[Any, SyntheticGenerator] | None = getattr(_local, "cache", None)
    if cache is None:
        cache = _local.cache = {}
    key = (seed, launch_ratio, partitions, _mix_key(launchpad_mix))
    found = cache.get(key)
    if found is None:
        if len(cache) > 32:
            cache.clear()
        found = cache[key] = SyntheticGenerator(seed, launch_ratio, partitions, launchpad_mix)
    return found


def generate(
    seed: int,
    index: int,
    launch_ratio: float = DEFAULT_LAUNCH_RATIO,
    partitions: int = 1,
    launchpad_mix: Mapping[str, float] | None = None,
) -> SyntheticTx:
    """Frame `index` of the stream ``(seed, launch_ratio, partitions, launchpad_mix)``, with its
    ground truth.

    Pure: the same arguments give the same bytes in any process, at any time.
    """
    return generator_for(seed, launch_ratio, partitions, launchpad_mix).tx(index)


def generate_range(
    seed: int,
    total: int,
    launch_ratio: float = DEFAULT_LAUNCH_RATIO,
    start: int = 0,
    partitions: int = 1,
    launchpad_mix: Mapping[str, float] | None = None,
) -> Iterator[SyntheticTx]:
    """Frames ``start .. total-1`` in global order: what a run with ``total`` emits, all
    partitions together."""
    gen = generator_for(seed, launch_ratio, partitions, launchpad_mix)
    for index in range(start, total):
        yield gen.tx(index)


def frames_of_partition(total: int, partition: int, partitions: int) -> int:
    """How many of the frames ``0 .. total-1`` belong to `partition` (``g % partitions``)."""
    if partition >= total:
        return 0
    return (total - partition + partitions - 1) // partitions
