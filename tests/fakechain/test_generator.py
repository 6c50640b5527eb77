"""The synthetic frames and their ground truth (`fakechain.generate`)."""

from __future__ import annotations

import base64
import collections
import hashlib
import os
import re
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import base58
import orjson
import pytest

from domain.models import PUMP_FUN, RAYDIUM_AMM_V4
from fakechain import SyntheticGenerator, SyntheticTx, generate, generate_range, generator_for
from fakechain.encode import BASE_SLOT, FRAMES_PER_SLOT
from fakechain.truth import (
    DUPLICATE,
    FAILED_LAUNCH,
    KINDS,
    LAUNCH_KINDS,
    PUMP_CREATE,
    PUMP_CREATE_V2,
    PUMP_TRADE,
    RAYDIUM_INIT,
    RAYDIUM_SWAP,
    TRUNCATED_LAUNCH,
)
from solwire.logs import LOG_BYTES_LIMIT
from solwire.programs import (
    COMPUTE_BUDGET_PROGRAM,
    PUMP_FUN_PROGRAM,
    RAYDIUM_AMM_V4_PROGRAM,
    SYSTEM_PROGRAM,
    TOKEN_2022_PROGRAM,
)
from tests.solwire.test_writers import read_create_event, read_trade_event

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
PUMP = PUMP_FUN_PROGRAM
RAYDIUM = RAYDIUM_AMM_V4_PROGRAM


@pytest.fixture(scope="module")
def rich() -> list[SyntheticTx]:
    """A stream with many launches (30 %), to see every kind often."""
    return list(generate_range(2024, 20_000, 0.3))


@pytest.fixture(scope="module")
def failures() -> list[SyntheticTx]:
    """Failed pump.fun and Raydium launches, many of each (no successful launches around)."""
    mix = {PUMP_FUN: 0.6, RAYDIUM_AMM_V4: 0.4}
    txs = generate_range(2024, 40_000, 0.0, launchpad_mix=mix)
    return [tx for tx in txs if tx.kind == FAILED_LAUNCH]


@pytest.fixture(scope="module")
def default_mix() -> list[SyntheticTx]:
    """The default mix: 1 % launches."""
    return list(generate_range(99, 20_000, 0.01))


def value(tx: SyntheticTx) -> dict[str, Any]:
    doc = orjson.loads(tx.payload)
    result: dict[str, Any] = doc["params"]["result"]["value"]
    return result


def logs(tx: SyntheticTx) -> list[str]:
    result: list[str] = value(tx)["logs"]
    return result


def of_kind(txs: list[SyntheticTx], *kinds: str) -> list[SyntheticTx]:
    return [tx for tx in txs if tx.kind in kinds]


# --- determinism -----------------------------------------------------------------------------


def test_same_seed_same_bytes_from_independent_generators() -> None:
    a, b = SyntheticGenerator(5), SyntheticGenerator(5)
    order = [*range(300), *range(299, -1, -7)]
    assert [a.tx(i).payload for i in order] == [b.tx(i).payload for i in order]
    assert [generate(5, i).payload for i in range(300)] == [a.payload(i) for i in range(300)]


def test_same_seed_same_bytes_in_another_process() -> None:
    digest = hashlib.sha256()
    for tx in generate_range(5, 3000, 0.2):
        digest.update(tx.payload)
    code = (
        "import hashlib\n"
        "from fakechain import generate_range\n"
        "d = hashlib.sha256()\n"
        "for tx in generate_range(5, 3000, 0.2): d.update(tx.payload)\n"
        "print(d.hexdigest())\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == digest.hexdigest()


def test_different_seeds_give_different_frames() -> None:
    one = [generate(1, i) for i in range(500)]
    two = [generate(2, i) for i in range(500)]
    assert all(a.payload != b.payload for a, b in zip(one, two, strict=True))
    assert {tx.signature for tx in one}.isdisjoint(tx.signature for tx in two)


def test_generate_range_is_generate() -> None:
    assert [tx.payload for tx in generate_range(8, 50, 0.5, start=20)] == [
        generate(8, i, 0.5).payload for i in range(20, 50)
    ]


# --- the mix ---------------------------------------------------------------------------------


def test_launch_share_is_close_to_launch_ratio(default_mix: list[SyntheticTx]) -> None:
    counts = collections.Counter(tx.kind for tx in default_mix)
    n = len(default_mix)
    launches = sum(tx.is_launch for tx in default_mix)
    assert 0.007 < launches / n < 0.013  # expected 200 of 20,000, sd 14
    assert 0.001 < counts[FAILED_LAUNCH] / n < 0.0035  # 0.2 %
    assert 0.003 < counts[DUPLICATE] / n < 0.0075  # 0.5 %
    assert counts[PUMP_CREATE_V2] + counts[PUMP_CREATE] > 2 * counts[RAYDIUM_INIT] > 0
    assert counts[PUMP_TRADE] > counts[RAYDIUM_SWAP] > 0.2 * n
    assert set(counts) <= set(KINDS)


def test_higher_ratio_and_the_extremes() -> None:
    txs = list(generate_range(3, 4000, 0.25))
    assert 0.21 < sum(tx.is_launch for tx in txs) / len(txs) < 0.29
    no_launches = list(generate_range(3, 2000, 0.0))
    assert not any(tx.is_launch for tx in no_launches)
    # failed launches and duplicates are fixed shares on top of the launch ratio ...
    assert {FAILED_LAUNCH, DUPLICATE} <= {tx.kind for tx in no_launches}
    # ... which make room when the launches take everything
    assert all(tx.is_launch for tx in generate_range(3, 500, 1.0))
    with pytest.raises(ValueError):
        generate(3, 0, 1.5)


def test_pump_fun_launches_split_as_documented(rich: list[SyntheticTx]) -> None:
    counts = collections.Counter(
        tx.kind for tx in rich if tx.is_launch and tx.launch and tx.launch.launchpad == PUMP_FUN
    )
    total = sum(counts.values())
    assert total > 3000
    assert 0.60 < counts[PUMP_CREATE_V2] / total < 0.68
    assert 0.28 < counts[PUMP_CREATE] / total < 0.36
    assert 0.025 < counts[TRUNCATED_LAUNCH] / total < 0.055


# --- the frames ------------------------------------------------------------------------------

_INVOKE = re.compile(r"^Program (\w+) invoke \[(\d+)\]$")
_CONSUMED = re.compile(r"^Program (\w+) consumed (\d+) of (\d+) compute units$")
_SUCCESS = re.compile(r"^Program (\w+) success$")
_FAILED = re.compile(r"^Program (\w+) failed: custom program error: 0x[0-9a-f]+$")
_RETURN = re.compile(r"^Program return: (\w+) [A-Za-z0-9+/=]+$")


def check_log_structure(lines: list[str], failed: bool) -> None:
    """Invocations nest, every BPF program reports its units once, failure and truncation end
    the logs, and nothing else appears."""
    stack: list[list[Any]] = []
    builtins = {SYSTEM_PROGRAM, COMPUTE_BUDGET_PROGRAM}
    for number, line in enumerate(lines):
        last = number == len(lines) - 1
        if m := _INVOKE.match(line):
            assert int(m[2]) == len(stack) + 1, line
            stack.append([m[1], False])
        elif m := _CONSUMED.match(line):
            assert stack[-1][0] == m[1] and not stack[-1][1], line
            assert int(m[2]) <= int(m[3])
            stack[-1][1] = True
        elif m := _RETURN.match(line):
            assert stack[-1][0] == m[1] and stack[-1][1], line
        elif m := _SUCCESS.match(line):
            program, consumed = stack.pop()
            assert program == m[1]
            assert consumed == (program not in builtins), line
        elif m := _FAILED.match(line):
            assert stack.pop()[0] == m[1] and failed and last
        elif line == "Log truncated":
            assert last
        else:
            assert line.startswith(("Program log: ", "Program data: ")), line
            assert stack, line
    assert failed or not stack or lines[-1] == "Log truncated"


def test_frames_are_logs_notifications(rich: list[SyntheticTx]) -> None:
    subscriptions = set()
    for tx in rich[:6000]:
        doc = orjson.loads(tx.payload)
        assert list(doc) == ["jsonrpc", "method", "params"]
        assert doc["jsonrpc"] == "2.0" and doc["method"] == "logsNotification"
        assert list(doc["params"]) == ["result", "subscription"]
        subscriptions.add(doc["params"]["subscription"])
        result = doc["params"]["result"]
        assert list(result) == ["context", "value"]
        assert result["context"] == {"slot": tx.slot}
        val = result["value"]
        assert list(val) == ["signature", "err", "logs"]
        assert val["signature"] == tx.signature and val["err"] == tx.err
        assert len(base58.b58decode(tx.signature)) == 64
        assert all(isinstance(line, str) for line in val["logs"])
        check_log_structure(val["logs"], failed=tx.err is not None)
    # one logsSubscribe per program: pump.fun, Raydium, and every other launchpad seen
    gen = generator_for(2024, 0.3)
    seen = {gen.subscriptions[tx.launch.launchpad] for tx in rich[:6000] if tx.launch}
    assert {gen.pump_subscription, gen.raydium_subscription} <= subscriptions
    assert subscriptions == seen | {gen.pump_subscription, gen.raydium_subscription}


def test_slots_follow_the_frame_number(rich: list[SyntheticTx]) -> None:
    for tx in rich[:3000]:
        if tx.kind == DUPLICATE:
            assert tx.duplicate_of is not None
            assert tx.slot == BASE_SLOT + tx.duplicate_of // FRAMES_PER_SLOT
        else:
            assert tx.slot == BASE_SLOT + tx.index // FRAMES_PER_SLOT


def _data_after(lines: list[str], marker: str) -> bytes:
    start = lines.index(marker)
    line = next(x for x in lines[start:] if x.startswith("Program data: "))
    return base64.b64decode(line.removeprefix("Program data: "))


def test_create_events_decode_back_to_the_truth(rich: list[SyntheticTx]) -> None:
    launches = of_kind(rich, PUMP_CREATE, PUMP_CREATE_V2)
    assert len(launches) > 1000
    for tx in launches:
        truth = tx.launch
        assert truth is not None and truth.launchpad == PUMP_FUN
        lines = logs(tx)
        v2 = tx.kind == PUMP_CREATE_V2
        instruction = "Program log: Instruction: " + ("CreateV2" if v2 else "Create")
        assert truth.instruction == ("CreateV2" if v2 else "Create")
        data = _data_after(lines, instruction)
        event = read_create_event(data)
        assert event["rest"] == 0
        assert (event["name"], event["symbol"], event["uri"]) == (
            truth.name,
            truth.symbol,
            truth.uri,
        )
        assert event["mint"] == truth.mint and event["user"] == truth.creator
        assert event["bonding_curve"] == truth.bonding_curve
        strings = sum(len(str(event[k]).encode()) for k in ("name", "symbol", "uri"))
        if v2:
            # the 2026 layout: every field, 343 bytes for the real sample's string lengths
            assert len(data) == 262 + strings
            assert event["creator"] == truth.creator
            assert event["token_program"] == TOKEN_2022_PROGRAM
            assert str(truth.mint).endswith("pump")
        else:
            # the 2024 layout stops after `user`: 201 bytes for the real sample's strings
            assert len(data) == 116 + strings
            assert "creator" not in event
        trade = read_trade_event(_data_after(lines, "Program log: Instruction: Buy"))
        assert trade["is_buy"] is True
        assert trade["mint"] == truth.mint and trade["user"] == truth.creator
        assert trade["sol_amount"] / 1e9 == truth.initial_buy_sol


def test_raydium_initialize2_carries_its_init_log(rich: list[SyntheticTx]) -> None:
    inits = of_kind(rich, RAYDIUM_INIT)
    assert len(inits) > 100
    pattern = re.compile(
        r"^Program log: initialize2: InitializeInstruction2 \{ nonce: (\d+), open_time: (\d+), "
        r"init_pc_amount: (\d+), init_coin_amount: (\d+) \}$"
    )
    for tx in inits:
        assert tx.launch is not None and tx.launch.launchpad == RAYDIUM_AMM_V4
        assert tx.launch.mint is None  # logs only: no account keys, no mint
        lines = logs(tx)
        assert lines[lines.index(f"Program {RAYDIUM} invoke [1]") + 1].startswith(
            "Program log: initialize2: "
        )
        args = next(m for line in lines if (m := pattern.match(line)))
        ray_log = next(line for line in lines if line.startswith("Program log: ray_log: "))
        raw = base64.b64decode(ray_log.removeprefix("Program log: ray_log: "))
        assert len(raw) == 75 and raw[0] == 0
        _, time, _, _, _, _, pc_amount, coin_amount = struct.unpack("<BQBBQQQQ", raw[:43])
        assert (time, pc_amount, coin_amount) == (int(args[2]), int(args[3]), int(args[4]))


def test_trades_and_swaps_are_not_launches(rich: list[SyntheticTx]) -> None:
    launch_lines = (
        "Program log: Instruction: Create",
        "Program log: Instruction: CreateV2",
    )
    for tx in of_kind(rich, PUMP_TRADE, RAYDIUM_SWAP)[:4000]:
        lines = logs(tx)
        assert tx.launch is None and tx.err is None and not tx.is_launch
        assert not any(line in launch_lines for line in lines)
        assert not any("initialize2" in line for line in lines)
        if tx.kind == PUMP_TRADE:
            data = [line for line in lines if line.startswith("Program data: ")]
            assert data and all(line.startswith("Program data: vdt/007mYe") for line in data)
        else:
            ray = [line for line in lines if line.startswith("Program log: ray_log: ")]
            assert len(ray) == 1
            assert base64.b64decode(ray[0].removeprefix("Program log: ray_log: "))[0] == 3


def test_failed_launches_still_show_their_launch_lines(
    rich: list[SyntheticTx], failures: list[SyntheticTx]
) -> None:
    failed = of_kind(rich, FAILED_LAUNCH) + failures
    assert len(failures) > 40
    seen = set()
    for tx in failed:
        assert not tx.is_launch and tx.launch is not None
        lines = logs(tx)
        assert tx.err == value(tx)["err"]
        (_index, detail) = tx.err["InstructionError"]
        assert lines[-1].endswith(f"failed: custom program error: {detail['Custom']:#x}")
        if tx.launch.launchpad == PUMP_FUN:
            seen.add(tx.launch.instruction)
            assert detail == {"Custom": 6002}
            assert f"Program log: Instruction: {tx.launch.instruction}" in lines
            marker = f"Program log: Instruction: {tx.launch.instruction}"
            event = read_create_event(_data_after(lines, marker))
            assert event["mint"] == tx.launch.mint
            assert tx.launch.initial_buy_sol is None
        elif tx.launch.launchpad == RAYDIUM_AMM_V4:
            seen.add("initialize2")
            assert tx.err == {"InstructionError": [4, {"Custom": 49}]}
            assert any(line.startswith("Program log: initialize2: ") for line in lines)
            assert "Program log: Error: RepeatCreateAmm" in lines
        else:  # a registry module's launch, then a transfer short of funds
            assert "Program log: Error: insufficient funds" in lines[-3:]
            assert tx.err == {"InstructionError": [tx.err["InstructionError"][0], {"Custom": 1}]}
    assert seen == {"Create", "CreateV2", "initialize2"}


def test_duplicates_repeat_earlier_frames_byte_for_byte(rich: list[SyntheticTx]) -> None:
    duplicates = of_kind(rich, DUPLICATE)
    assert len(duplicates) > 50
    for tx in duplicates:
        assert tx.duplicate_of is not None and tx.duplicate_of < tx.index
        original = rich[tx.duplicate_of]
        assert original.kind != DUPLICATE
        assert tx.payload == original.payload and not tx.is_launch
        assert tx.launch == original.launch
    repeated_launches = [tx for tx in duplicates if rich[tx.duplicate_of or 0].is_launch]
    assert len(repeated_launches) > len(duplicates) // 4


def test_truncated_launches_lose_their_event(rich: list[SyntheticTx]) -> None:
    truncated = of_kind(rich, TRUNCATED_LAUNCH)
    assert len(truncated) > 20
    for tx in truncated:
        lines = logs(tx)
        assert tx.is_launch and tx.err is None
        assert tx.launch is not None and tx.launch.truncated and tx.launch.mint is None
        assert lines[-1] == "Log truncated"
        assert f"Program log: Instruction: {tx.launch.instruction}" in lines
        assert not any(line.startswith("Program data: ") for line in lines)
        assert 9_000 < sum(len(line) for line in lines[:-1]) <= LOG_BYTES_LIMIT


def test_serial_launchers_make_a_noticeable_share(rich: list[SyntheticTx]) -> None:
    gen = generator_for(2024, 0.3)
    pump = [tx.launch for tx in of_kind(rich, PUMP_CREATE, PUMP_CREATE_V2) if tx.launch]
    by_creator = collections.Counter(launch.creator for launch in pump)
    serial = [launch for launch in pump if launch.creator in gen.serial_launcher_keys]
    assert all(launch.serial_launcher for launch in serial)
    assert 0.10 < len(serial) / len(pump) < 0.20
    assert all(by_creator[key] >= 10 for key in gen.serial_launcher_keys)
    fresh = [launch for launch in pump if not launch.serial_launcher]
    assert all(by_creator[launch.creator] == 1 for launch in fresh)


def test_faker_identities_look_like_tokens(rich: list[SyntheticTx]) -> None:
    pump = [tx.launch for tx in of_kind(rich, PUMP_CREATE, PUMP_CREATE_V2) if tx.launch]
    names = {launch.name for launch in pump}
    assert len(names) > 0.8 * len(pump)
    for launch in pump:
        assert launch.name and len(launch.name) <= 32
        assert launch.symbol and len(launch.symbol) <= 10
        assert re.match(
            r"^https://[a-z.-]+/ipfs/(Qm[1-9A-HJ-NP-Za-km-z]{44}|bafkrei[a-z2-7]{52})$",
            str(launch.uri),
        )
    assert len({launch.mint for launch in pump}) == len(pump)


# --- line by line like the real captures -----------------------------------------------------

_PUBKEY_LOG = re.compile(r"^Program log: [1-9A-HJ-NP-Za-km-z]{32,44}$")


def shape(lines: list[str]) -> list[str]:
    """The logs with their variable parts (numbers, event data, pubkeys) blanked."""
    out = []
    for line in lines:
        if line.startswith("Program data: "):
            line = "Program data: <event>"
        elif line.startswith("Program log: ray_log: "):
            line = "Program log: ray_log: <log>"
        elif _PUBKEY_LOG.match(line):
            line = "Program log: <pubkey>"
        elif line.startswith("Program log: ") or " consumed " in line:
            line = re.sub(r"(?<![\w])\d+(?![\w])", "N", line)
        out.append(line)
    return out


def _real_logs(name: str, line: int = 0) -> list[str]:
    path = FIXTURES / name
    text = path.read_bytes()
    doc = orjson.loads(text.splitlines()[line]) if name.endswith(".jsonl") else orjson.loads(text)
    if "params" in doc:  # Helius transactionNotification
        doc = doc["params"]["result"]["transaction"]
    doc = doc.get("result", doc)
    result: list[str] = doc["meta"]["logMessages"]
    return result


@pytest.mark.parametrize(
    ("fixture", "line", "kinds"),
    [
        ("pumpfun_create_legacy_getTransaction_2024-08.json", 0, (PUMP_CREATE,)),
        ("pumpfun_createv2_blockSubscribe_txentry_2026.json", 0, (PUMP_CREATE_V2,)),
        ("helius_transactionNotification_raydium_initialize2_one.jsonl", 0, (RAYDIUM_INIT,)),
        ("pumpfun_buy_and_sell_getTransaction_2024-08.json", 0, (PUMP_TRADE,)),
        ("helius_transactionNotification_raydium_swaps_two.jsonl", 1, (RAYDIUM_SWAP,)),
        (
            "raydium_amm_v4_initialize2_FAILED_RepeatCreateAmm_getTransaction_2024-04.json",
            0,
            (FAILED_LAUNCH,),
        ),
    ],
)
def test_frames_follow_the_real_captures_line_by_line(
    rich: list[SyntheticTx],
    failures: list[SyntheticTx],
    fixture: str,
    line: int,
    kinds: tuple[str, ...],
) -> None:
    """Some synthetic frame of the matching kind has exactly the real capture's lines, once
    numbers, event data and keys are blanked: same programs, same depths, same messages."""
    real = shape(_real_logs(fixture, line))
    candidates = of_kind(rich + failures, *kinds)
    assert any(shape(logs(tx)) == real for tx in candidates), fixture


def test_is_launch_means_a_first_successful_delivery(rich: list[SyntheticTx]) -> None:
    for tx in rich[:5000]:
        assert tx.is_launch == (tx.kind in LAUNCH_KINDS)
        if tx.is_launch:
            assert tx.err is None and tx.launch is not None and tx.duplicate_of is None
