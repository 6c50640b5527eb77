"""The launchpad mix of the synthetic stream: every launchpad with an encoder, at the configured
shares, graduations of its own earlier creates, frames a correct decoder reads as their truth."""

from __future__ import annotations

import collections
import dataclasses
import math

import orjson
import pytest

from domain.models import RawFrame
from fakechain import DEFAULT_LAUNCHPAD_MIX, SyntheticSource, SyntheticTx, generate_range
from fakechain.generator import available_launchpads, launch_shares
from fakechain.truth import (
    DUPLICATE,
    FAILED_LAUNCH,
    GRADUATION,
    PUMP_CREATE,
    PUMP_CREATE_V2,
)
from operators.decode import decode_frame
from solwire.launchpads import BY_NAME, NAMES, POOL, FoundLaunch
from solwire.programs import PUMP_FUN, PUMP_SWAP, RAYDIUM_AMM_V4

FOUND_FIELDS = tuple(field.name for field in dataclasses.fields(FoundLaunch))
SEED = 31
PARTITIONS = 3


@pytest.fixture(scope="module")
def launches_only() -> list[SyntheticTx]:
    """Every frame a launch, failed launch or duplicate: 24,000 launches to count."""
    return list(generate_range(SEED, 24_000, 1.0, partitions=PARTITIONS))


@pytest.fixture(scope="module")
def realistic() -> list[SyntheticTx]:
    """A stream with 5 % launches over three partitions: every kind of frame."""
    return list(generate_range(SEED, 30_000, 0.05, partitions=PARTITIONS))


def found(launch: FoundLaunch | None) -> dict[str, object]:
    return {name: getattr(launch, name, None) for name in FOUND_FIELDS}


def test_the_default_mix_is_documented_and_pump_fun_the_majority() -> None:
    assert set(DEFAULT_LAUNCHPAD_MIX) == set(NAMES)
    assert math.isclose(sum(DEFAULT_LAUNCHPAD_MIX.values()), 1.0)
    assert DEFAULT_LAUNCHPAD_MIX[PUMP_FUN] > 0.5
    # the launchpads the generator writes itself, plus every module that has an encoder
    assert {PUMP_FUN, RAYDIUM_AMM_V4} <= set(available_launchpads())
    assert set(available_launchpads()) == {
        name
        for name in NAMES
        if BY_NAME[name].synthetic is not None or name in (PUMP_FUN, RAYDIUM_AMM_V4)
    }


def test_launches_follow_the_mix_and_every_launchpad_appears(
    launches_only: list[SyntheticTx],
) -> None:
    launches = [tx for tx in launches_only if tx.is_launch]
    n = len(launches)
    assert n > 23_000
    counts = collections.Counter(tx.launch.launchpad for tx in launches if tx.launch)
    shares = launch_shares()
    assert set(counts) == set(shares) == set(available_launchpads())
    for name, share in shares.items():
        sd = math.sqrt(n * share * (1 - share))
        assert abs(counts[name] - n * share) < 5 * sd + 2, name
    assert counts[PUMP_FUN] > n / 2


def test_a_mix_setting_changes_the_shares() -> None:
    mix = {PUMP_FUN: 1.0, RAYDIUM_AMM_V4: 3.0, "moonshot": 0.0}
    txs = list(generate_range(SEED, 4000, 1.0, launchpad_mix=mix))
    counts = collections.Counter(tx.launch.launchpad for tx in txs if tx.is_launch and tx.launch)
    assert set(counts) == {PUMP_FUN, RAYDIUM_AMM_V4}
    assert 0.70 < counts[RAYDIUM_AMM_V4] / sum(counts.values()) < 0.80
    # the mix is part of the stream's identity: same mix, same bytes; another mix, other frames
    again = [tx.payload for tx in generate_range(SEED, 4000, 1.0, launchpad_mix=dict(mix))]
    assert again == [tx.payload for tx in txs]
    default = [tx.payload for tx in generate_range(SEED, 4000, 1.0)]
    assert default != again


def test_a_bad_mix_is_refused() -> None:
    with pytest.raises(ValueError, match="'pumpfun' is not a launchpad"):
        SyntheticSource(total=10, launchpad_mix={"pumpfun": 1.0})
    with pytest.raises(ValueError, match="must be a finite number >= 0"):
        SyntheticSource(total=10, launchpad_mix={PUMP_FUN: -1.0})
    with pytest.raises(ValueError, match="no launchpad with a share above 0"):
        SyntheticSource(total=10, launchpad_mix={PUMP_FUN: 0.0})


def test_graduations_pool_mints_created_earlier_in_the_same_partition(
    realistic: list[SyntheticTx],
) -> None:
    graduations = [tx for tx in realistic if tx.kind == GRADUATION]
    assert PUMP_SWAP in available_launchpads()
    assert len(graduations) > 20
    created = {
        tx.launch.mint: tx.index
        for tx in realistic
        if tx.kind in (PUMP_CREATE, PUMP_CREATE_V2) and tx.launch
    }
    pooled: collections.Counter[str] = collections.Counter()
    for tx in graduations:
        truth = tx.launch
        assert truth is not None and truth.launchpad == PUMP_SWAP and truth.event == POOL
        if truth.graduates is None:
            continue  # no create of its partition since the last graduation: a fresh mint
        assert truth.mint is not None and created[truth.mint] == truth.graduates
        assert truth.graduates < tx.index
        assert truth.graduates % PARTITIONS == tx.index % PARTITIONS
        pooled[truth.mint] += 1
    assert len(pooled) > 0.8 * len(graduations)
    assert max(pooled.values()) == 1, "a token graduated twice"


def test_every_frame_decodes_to_its_truth(realistic: list[SyntheticTx]) -> None:
    """What `operators.decode` reads from each frame is exactly its ground truth: every field of
    a launch, nothing from a failed launch, a trade or a swap."""
    kinds: collections.Counter[tuple[str, str | None]] = collections.Counter()
    for tx in realistic:
        out = decode_frame(RawFrame(tx.payload, 0.0), 0.0)
        original = tx
        if tx.kind == DUPLICATE:
            assert tx.duplicate_of is not None
            original = realistic[tx.duplicate_of]
        if original.is_launch:
            assert found(out) == found(original.launch), (tx.index, tx.kind)
        else:
            assert out is None, (tx.index, tx.kind)
        kinds[(original.kind, original.launch.launchpad if original.launch else None)] += 1
    launchpads = {launchpad for _, launchpad in kinds if launchpad}
    assert launchpads == set(available_launchpads())


def test_failed_launches_of_every_launchpad_keep_their_logs() -> None:
    mix = dict.fromkeys(available_launchpads(), 1.0)
    txs = list(generate_range(SEED, 30_000, 0.0, launchpad_mix=mix))
    failed = [tx for tx in txs if tx.kind == FAILED_LAUNCH]
    assert {tx.launch.launchpad for tx in failed if tx.launch} == set(available_launchpads())
    for tx in failed:
        assert tx.err is not None and tx.launch is not None and not tx.is_launch
        launchpad = BY_NAME[tx.launch.launchpad]
        lines = orjson_logs(tx)
        assert any(launchpad.is_launch_line(line) for line in lines), launchpad.name
        assert decode_frame(RawFrame(tx.payload, 0.0), 0.0) is None


def orjson_logs(tx: SyntheticTx) -> list[str]:
    result: list[str] = orjson.loads(tx.payload)["params"]["result"]["value"]["logs"]
    return result


def test_duplicates_repeat_frames_of_their_own_partition(realistic: list[SyntheticTx]) -> None:
    """A copy from another partition could overtake its original (partitions run at their own
    pace): which copy the job keeps, and whether a graduation's create came first, would then
    depend on timing."""
    duplicates = [tx for tx in realistic if tx.kind == DUPLICATE]
    assert len(duplicates) > 50
    for tx in duplicates:
        assert tx.duplicate_of is not None and tx.duplicate_of < tx.index
        assert tx.duplicate_of % PARTITIONS == tx.index % PARTITIONS
        assert tx.payload == realistic[tx.duplicate_of].payload
