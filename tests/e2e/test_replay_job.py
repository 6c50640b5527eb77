"""The real job replaying real mainnet frames mixed with garbage: the right launches come out,
everything else is counted and dead-lettered, and both conservation laws hold."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import orjson
import pytest

from tests.jobs import JobResult, run_job
from tests.solana_samples import fixture_bytes, fixture_lines

pytestmark = pytest.mark.e2e

LEGACY_MINT = "ER2N5eaDoC68kNhj7LyaScimzq7deaqxiw88rewvxaKp"
CREATEV2_MINT = "7YD6ZHb39jGb33ki2iFd7kHK11yMkSFCc9kvjJscpump"
RAYDIUM_MINT = "6Ed5YTw9AoUhr5VcsjZdGHqpdruqgCaZcLv7WU6npump"

GARBAGE = [
    b"not json at all",
    b'{"jsonrpc":"2.0","method":"logsNotification","params":{"result":',  # cut mid-frame
    b"[1, 2, 3]",
    b'{"jsonrpc":"2.0","method":"logsNotification","params":{"result":{"context":{"slot":1},'
    b'"value":{"signature":42,"err":null,"logs":[]}}}}',  # signature of the wrong type
    b"\xff\xfe\x00garbage",
]


def compact(name: str) -> bytes:
    """A pretty-printed .json fixture as one line."""
    return orjson.dumps(orjson.loads(fixture_bytes(name)))


@pytest.fixture(scope="module")
def replay_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    lines = [
        fixture_bytes("converted_pumpfun_createv2_logsNotification.json").strip(),
        compact("pumpfun_create_legacy_getTransaction_2024-08.json"),
        b"",  # blank lines are skipped and not counted
        *fixture_lines("helius_transactionNotification_raydium_initialize2_one.jsonl"),
        *fixture_lines("helius_transactionNotification_raydium_swaps_two.jsonl"),
        compact("pumpfun_buy_and_sell_getTransaction_2024-08.json"),
        compact("raydium_amm_v4_initialize2_FAILED_RepeatCreateAmm_getTransaction_2024-04.json"),
        # The legacy create again, as a logsNotification: a duplicate delivery.
        fixture_bytes("converted_pumpfun_create_legacy_logsNotification.json").strip(),
        # The Raydium launch again, logs only (no mint): same signature, so a duplicate too.
        fixture_bytes("converted_raydium_initialize2_logsNotification.json").strip(),
        *fixture_lines("ws_frames_agave_vs_helius_verbatim_2026-08.jsonl"),
        compact("pumpportal_subscribeNewToken_payloads_2026-09.json"),
        b"   ",
        *GARBAGE,
    ]
    path = tmp_path_factory.mktemp("replay") / "frames.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


@pytest.fixture(scope="module", params=[1, 2], ids=["1-worker", "2-workers"])
def replayed(request: pytest.FixtureRequest, replay_file: Path) -> tuple[JobResult, Path]:
    dead = replay_file.parent / f"dead-{request.param}.jsonl"
    result = run_job(
        {
            "SNIFFER_SOURCE": "replay",
            "SNIFFER_REPLAY_PATH": str(replay_file),
            "SNIFFER_DEAD_LETTER_PATH": str(dead),
        },
        "-w",
        str(request.param),
    )
    return result, dead


def test_the_real_launches_come_out_once(replayed: tuple[JobResult, Path]) -> None:
    result, _ = replayed
    result.assert_conserved()
    by_mint = {c["mint"]: c for c in result.candidates}
    assert sorted(by_mint) == sorted([LEGACY_MINT, CREATEV2_MINT, RAYDIUM_MINT])
    legacy = by_mint[LEGACY_MINT]
    assert legacy["launchpad"] == "pump_fun"
    assert legacy["slot"] == 284682639
    assert legacy["name"] == legacy["symbol"] == "excited"
    assert legacy["initial_buy_sol"] == pytest.approx(1.1)
    assert by_mint[RAYDIUM_MINT]["launchpad"] == "raydium_amm_v4"
    assert by_mint[RAYDIUM_MINT]["slot"] == 305978588
    assert all(c["priority"] in ("HIGH", "LOW") and 0 <= c["score"] <= 1 for c in by_mint.values())
    assert {c["source"] for c in result.candidates} == {"replay"}


def test_every_frame_is_accounted_for(replayed: tuple[JobResult, Path], replay_file: Path) -> None:
    result, _ = replayed
    snap = result.snapshot
    non_blank = [line for line in replay_file.read_bytes().splitlines() if line.strip()]
    assert snap["tx_seen"] == len(non_blank)
    assert snap["candidates_detected"] == snap["candidates_sent"] == 3
    assert snap["duplicates"] == 2
    # Swaps (2), buy+sell (1), the failed Raydium launch (1), the mainnet vote frame (1).
    assert snap["tx_ignored"] == 5
    ws_frames = fixture_lines("ws_frames_agave_vs_helius_verbatim_2026-08.jsonl")
    # Every ws frame but the vote logsNotification, the PumpPortal payload, and the garbage.
    assert snap["tx_invalid"] == len(ws_frames) - 1 + 1 + len(GARBAGE)


def test_invalid_frames_go_to_the_dead_letter_file_with_reasons(
    replayed: tuple[JobResult, Path],
) -> None:
    result, dead = replayed
    records = [json.loads(line) for line in dead.read_text().splitlines()]
    assert len(records) == result.snapshot["tx_invalid"]
    reasons = Counter(r["reason"] for r in records)
    assert reasons["rpc_error"] == 3  # the three JSON-RPC error frames of the ws capture
    assert reasons["not_json"] >= 2
    assert all(r["kind"] == "invalid_frame" and r["detail"] and r["frame"] for r in records)
    assert any(r["frame"] == "not json at all" for r in records)
