"""Raydium LaunchLab: the real Stonk.fun create in every frame format, built instructions of the
other two launch instructions, damaged input, and the synthetic encoder's frames."""

from __future__ import annotations

import base64
import copy
import random
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import orjson
import pytest

from domain.models import InvalidFrame, Launch
from operators.decode import decode_frame
from solwire.base58 import b58decode, b58encode
from solwire.detect import Detector
from solwire.frames import read_frame
from solwire.launchpads import UndecodableEvent, raydium_launchlab
from solwire.launchpads._base import (
    FoundLaunch,
    InstructionContext,
    LogLaunch,
    SyntheticLaunch,
    TokenDraw,
    anchor_instruction,
)
from solwire.launchpads.raydium_launchlab import (
    INITIALIZE,
    INITIALIZE_V2,
    INITIALIZE_WITH_TOKEN_2022,
    POOL_CREATE_EVENT,
    PROGRAM,
    encode_launch_args,
)
from solwire.logs import render_logs
from solwire.programs import EVENT_CPI_TAG, WRAPPED_SOL
from solwire.txmodel import Instruction, Transaction
from tests.real_txs import FRAME_FORMATS, get_transaction_result, manifest
from tests.solana_samples import DETECTED_AT, frame, logs_notification

LAUNCHLAB = "raydium_launchlab"
SIGNATURE, ENTRY = next((s, e) for s, e in manifest().items() if e["launchpad"] == LAUNCHLAB)
RESULT = get_transaction_result(ENTRY)
MINT = "H4Jz31z5JKrPKtbndUqvpj29KK6kMFdcnduwgmMu6BPE"
QUOTE_MINT = "Xs3oZwbHvqis4NYcf4YKWmEia2eC84wSiVrcYcTqpH8"
CREATOR = "GpTXmkdvrTajqkzX1fBmC4BUjSboF9dHgfnqPqj8WAc4"
NAME = SYMBOL = "Scronkfinkle"
URI = "https://metadata.j7tracker.io/metadata/Es4ZrcOFl9.json"
LETSBONK_PLATFORM = "5thqcDwKp5QQ8US4XRMoseGeGbmLKMmoKZmS6zHrQAsA"
DETECTOR = Detector()
PUMP_FUN_CREATE = bytes.fromhex("181ec828051c0777")


def _decode(payload: bytes) -> Launch | InvalidFrame | None:
    return decode_frame(frame(payload), DETECTED_AT)


# --- the real transaction -------------------------------------------------------------------


def test_the_documented_discriminators_are_the_anchor_ones() -> None:
    assert INITIALIZE.hex() == "afaf6d1f0d989bed"
    assert INITIALIZE_V2.hex() == "4399af27da102620"
    assert INITIALIZE_WITH_TOKEN_2022.hex() == "25be7ede2c9aab11"
    assert POOL_CREATE_EVENT.hex() == "97d7e20976a173ae"


def test_the_real_create_logs_its_event_after_the_self_cpi_in_its_own_frame() -> None:
    logs = RESULT["meta"]["logMessages"]
    at = logs.index(f"Program data: {_event_payload()}")
    assert logs[at - 3 : at] == [
        f"Program {PROGRAM} invoke [2]",
        f"Program {PROGRAM} consumed 626 of 391676 compute units",
        f"Program {PROGRAM} success",
    ]
    # 246 bytes, and its CPI copy (tag first) is the same bytes.
    assert len(base64.b64decode(_event_payload())) == 246


@pytest.mark.parametrize("fmt", [f for f in FRAME_FORMATS if f != "logsNotification"])
def test_full_frames_of_the_real_create_give_every_field(fmt: str) -> None:
    outcome = _decode(FRAME_FORMATS[fmt](RESULT))

    assert isinstance(outcome, Launch), outcome
    assert outcome.signature == SIGNATURE
    assert (outcome.launchpad, outcome.event) == (LAUNCHLAB, "create")
    assert outcome.mint == MINT
    assert outcome.quote_mint == QUOTE_MINT
    assert outcome.creator == CREATOR
    assert outcome.platform == "stonk"
    assert (outcome.name, outcome.symbol, outcome.uri) == (NAME, SYMBOL, URI)
    assert outcome.initial_buy_sol is None
    assert outcome.partial == ()


def test_the_logs_notification_of_the_real_create_has_the_event_but_no_mint() -> None:
    outcome = _decode(FRAME_FORMATS["logsNotification"](RESULT))

    assert isinstance(outcome, Launch), outcome
    assert (outcome.launchpad, outcome.event) == (LAUNCHLAB, "create")
    assert outcome.mint is None
    assert outcome.quote_mint is None
    assert outcome.platform is None  # the event's config is the global config
    assert outcome.creator == CREATOR
    assert (outcome.name, outcome.symbol, outcome.uri) == (NAME, SYMBOL, URI)
    assert outcome.partial == ()  # logs never carry the mint: not a partial read


def _json_parsed(result: dict[str, Any]) -> dict[str, Any]:
    """The real result in the ``jsonParsed`` shape: keys as objects, every instruction's
    accounts as keys. Instructions of the programs RPC parses (System, Token-2022, ATA) become
    ``parsed`` objects without data, as RPC sends them; their ``info`` is left empty here (the
    decoder reads none of it), LaunchLab's and the router's stay raw."""
    parsed = copy.deepcopy(result)
    message = parsed["transaction"]["message"]
    keys = message["accountKeys"]
    header = message["header"]
    signed = header["numRequiredSignatures"]
    message["accountKeys"] = [
        {"pubkey": key, "signer": i < signed, "source": "transaction", "writable": True}
        for i, key in enumerate(keys)
    ]
    known = {
        "11111111111111111111111111111111": "system",
        "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb": "spl-token",
        "ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL": "spl-associated-token-account",
    }

    def convert(raw: dict[str, Any]) -> dict[str, Any]:
        program = keys[raw["programIdIndex"]]
        if program in known:
            return {
                "parsed": {"info": {}, "type": "unknown"},
                "program": known[program],
                "programId": program,
                "stackHeight": raw.get("stackHeight"),
            }
        return {
            "accounts": [keys[i] for i in raw["accounts"]],
            "data": raw["data"],
            "programId": program,
            "stackHeight": raw.get("stackHeight"),
        }

    message["instructions"] = [convert(raw) for raw in message["instructions"]]
    for group in parsed["meta"]["innerInstructions"]:
        group["instructions"] = [convert(raw) for raw in group["instructions"]]
    return parsed


def test_a_json_parsed_frame_of_the_real_create_gives_every_field() -> None:
    outcome = _decode(orjson.dumps(_json_parsed(RESULT)))

    assert isinstance(outcome, Launch), outcome
    assert (outcome.mint, outcome.quote_mint, outcome.creator) == (MINT, QUOTE_MINT, CREATOR)
    assert outcome.platform == "stonk"
    # The parsed InitializeMint2 carries no data, so the mint has one witness: account 6.
    assert outcome.partial == ()


@pytest.mark.parametrize("fmt", list(FRAME_FORMATS))
def test_the_real_create_failed_is_no_launch(fmt: str) -> None:
    failed = copy.deepcopy(RESULT)
    failed["meta"]["err"] = {"InstructionError": [0, {"Custom": 6000}]}
    failed["meta"]["status"] = {"Err": failed["meta"]["err"]}

    assert _decode(FRAME_FORMATS[fmt](failed)) is None


def test_the_real_creators_buy_alone_is_no_launch() -> None:
    logs = RESULT["meta"]["logMessages"]
    start = logs.index("Program log: Instruction: BuyLaunchlabDelta") - 1
    buy_only = logs[start:]
    assert "Program log: Instruction: BuyExactIn" in buy_only

    assert _decode(logs_notification(SIGNATURE, buy_only)) is None


# --- damaged instructions of the real transaction ---------------------------------------------


def _real_tx() -> tuple[list[str], list[Instruction]]:
    tx = read_frame(FRAME_FORMATS["getTransaction"](RESULT))
    keys, instructions = tx.account_keys(), tx.instructions()
    assert keys is not None and instructions is not None
    return keys, instructions


def _with_launch(
    accounts: Sequence[str] | None = None,
    data: bytes | None = None,
    logs: list[str] | None = None,
    inner: bool = True,
) -> Transaction:
    """The real transaction with its launch instruction (position 0) changed."""
    keys, instructions = _real_tx()
    launch = instructions[0]
    changed = Instruction(
        PROGRAM,
        list(launch.accounts if accounts is None else accounts),
        launch.data if data is None else data,
        1,
    )
    rest = instructions[1:] if inner else [ix for ix in instructions[1:] if ix.depth == 1]
    return Transaction.with_instructions(
        signature=SIGNATURE,
        slot=RESULT["slot"],
        failed=False,
        logs=list(RESULT["meta"]["logMessages"] if logs is None else logs),
        account_keys=keys,
        instructions=[changed, *rest],
    )


def _launch_data() -> bytes:
    data = _real_tx()[1][0].data
    assert data is not None
    return data


def _never_wrong(found: FoundLaunch | None) -> None:
    assert found is None or found.mint in (None, MINT)
    assert found is None or found.quote_mint in (None, QUOTE_MINT)
    assert found is None or found.creator in (None, CREATOR)


def test_the_launch_data_is_161_bytes_with_the_text_first() -> None:
    assert len(_launch_data()) == 161


@pytest.mark.parametrize("cut", range(0, 161, 3))
def test_truncated_launch_data_never_raises_nor_gives_a_wrong_mint(cut: int) -> None:
    found = DETECTOR.find(_with_launch(data=_launch_data()[:cut]))

    _never_wrong(found)
    assert found is not None  # the launch line is there: at least the logs tell
    if cut >= 8:  # the instruction is still recognised: its accounts give the mint
        assert found.mint == MINT
    assert found.creator == CREATOR  # the event, a second witness, still has it


def test_text_cut_from_the_data_comes_from_the_event() -> None:
    cut = _launch_data()[:30]  # discriminator, decimals, name, half the symbol
    found = DETECTOR.find(_with_launch(data=cut))

    assert found is not None
    assert (found.name, found.symbol, found.uri) == (NAME, SYMBOL, URI)
    assert found.partial == ()


def test_cut_data_without_an_event_names_what_it_lost() -> None:
    logs = [line for line in RESULT["meta"]["logMessages"] if not line.startswith("Program data")]
    found = DETECTOR.find(_with_launch(data=_launch_data()[:30], logs=logs, inner=False))

    assert found is not None
    assert (found.mint, found.name, found.symbol, found.uri) == (MINT, NAME, None, None)
    assert set(found.partial) == {"symbol", "uri"}


@pytest.mark.parametrize("count", [0, 1, 7, 8, 14])
def test_too_few_accounts_give_no_roles(count: int) -> None:
    accounts = _real_tx()[1][0].accounts[:count]
    found = DETECTOR.find(_with_launch(accounts=accounts))

    assert found is not None
    assert (found.mint, found.quote_mint, found.platform) == (None, None, None)
    assert {"mint", "quote_mint", "platform"} <= set(found.partial)
    assert found.creator == CREATOR  # from the event
    assert found.name == NAME


@pytest.mark.parametrize("role", range(17))
def test_an_unknown_account_is_none_never_another_key(role: int) -> None:
    accounts = list(_real_tx()[1][0].accounts)
    accounts[role] = ""
    found = DETECTOR.find(_with_launch(accounts=accounts))

    assert found is not None
    _never_wrong(found)
    if role == 6:
        assert found.mint is None and "mint" in found.partial
    else:
        assert found.mint == MINT
    if role == 3:
        assert found.platform is None and "platform" in found.partial


@pytest.mark.parametrize(
    "discriminator",
    [PUMP_FUN_CREATE, anchor_instruction("buy_exact_in"), anchor_instruction("create_pool")],
)
def test_another_discriminator_is_no_launch_instruction(discriminator: bytes) -> None:
    data = discriminator + _launch_data()[8:]
    tx = _with_launch(data=data)
    instructions = tx.instructions()
    assert instructions is not None
    context = InstructionContext(tx, instructions, 0)

    assert raydium_launchlab.decode_instruction(context) is None
    # The launch line is still in the logs: the logs' view, without a mint.
    found = DETECTOR.find(tx)
    assert found is not None and found.mint is None


def test_without_inner_instructions_the_logged_event_is_the_second_witness() -> None:
    # A frame whose inner instructions are missing (no self-CPI copy): the logs' event is used.
    found = DETECTOR.find(_with_launch(inner=False))

    assert found is not None
    assert (found.mint, found.creator, found.name, found.uri) == (MINT, CREATOR, NAME, URI)
    assert found.partial == ()


def test_a_logged_event_of_another_pool_is_not_this_launchs_witness() -> None:
    event = bytearray(base64.b64decode(_event_payload()))
    event[8:40] = bytes(range(32))  # another pool_state
    event[40:72] = bytes(range(1, 33))  # and another creator
    logs = _logs_with_event(base64.b64encode(bytes(event)).decode())
    found = DETECTOR.find(_with_launch(logs=logs, inner=False))

    assert found is not None
    assert found.creator == CREATOR  # the account alone: the other pool's creator is ignored
    assert found.partial == ()


def test_a_creator_the_event_contradicts_is_none() -> None:
    accounts = list(_real_tx()[1][0].accounts)
    accounts[1] = accounts[4]  # another key in the creator role
    found = DETECTOR.find(_with_launch(accounts=accounts))

    assert found is not None
    assert found.creator is None and "creator" in found.partial
    assert found.mint == MINT


def test_a_mint_the_token_program_contradicts_is_none() -> None:
    accounts = list(_real_tx()[1][0].accounts)
    accounts[6] = accounts[8]  # base_vault where base_mint should be
    found = DETECTOR.find(_with_launch(accounts=accounts))

    assert found is not None
    assert found.mint is None and "mint" in found.partial


# --- damaged events in a logs-only frame --------------------------------------------------------


def _event_payload() -> str:
    line = next(
        line
        for line in RESULT["meta"]["logMessages"]
        if line.startswith("Program data: " + base64.b64encode(POOL_CREATE_EVENT).decode()[:8])
    )
    return line[len("Program data: ") :]


def _logs_with_event(payload: str) -> list[str]:
    original = "Program data: " + _event_payload()
    return [
        "Program data: " + payload if line == original else line
        for line in RESULT["meta"]["logMessages"]
    ]


def _logs_only(logs: list[str]) -> FoundLaunch | None:
    return DETECTOR.find(Transaction(SIGNATURE, 1, False, logs, "\n".join(logs)))


@pytest.mark.parametrize("size", [*range(0, 246, 7), 300])
def test_an_event_of_another_length_never_raises_nor_lies(size: int) -> None:
    event = base64.b64decode(_event_payload())
    resized = (event + bytes(100))[:size]
    found = _logs_only(_logs_with_event(base64.b64encode(resized).decode()))

    assert found is not None
    assert found.mint is None
    assert found.creator in (None, CREATOR)
    assert found.name in (None, NAME) and found.uri in (None, URI)
    if size >= 8 + 96:
        assert found.creator == CREATOR
    # The text ends at byte 195 (8 + 3 keys + decimals + 16 + 16 + 58); curve and vesting
    # follow, which nothing reads.
    if size >= 195:
        assert (found.name, found.symbol, found.uri) == (NAME, SYMBOL, URI)
        assert found.partial == ()
    else:
        assert found.partial  # the event was there but short: what it lost is named


def test_an_event_that_is_not_base64_is_undecodable() -> None:
    logs = _logs_with_event("not base64 at all!")

    with pytest.raises(UndecodableEvent):
        _logs_only(logs)
    outcome = _decode(logs_notification(SIGNATURE, logs))
    assert isinstance(outcome, InvalidFrame) and outcome.reason == "undecodable_event"


def test_a_full_frame_with_a_corrupt_logged_event_still_gives_the_launch() -> None:
    found = DETECTOR.find(_with_launch(logs=_logs_with_event("not base64 at all!")))

    assert found is not None and found.mint == MINT and found.creator == CREATOR


def test_logs_without_the_event_name_what_they_lack_unless_truncated() -> None:
    launch = LogLaunch("Program log: Instruction: InitializeV2", 1, (), (), truncated=False)
    found = raydium_launchlab.decode_logs(launch)
    assert found is not None and set(found.partial) == {"creator", "name", "symbol", "uri"}

    cut = replace(launch, truncated=True)
    found = raydium_launchlab.decode_logs(cut)
    assert found is not None and found.truncated and found.partial == ()


def test_a_launch_line_in_another_programs_frame_is_no_launch() -> None:
    logs = [
        "Program J7pourVwqP1VtRNBiFNqbdGxwkx7ta2LHAURURRRJqmd invoke [1]",
        "Program log: Instruction: InitializeV2",
        "Program J7pourVwqP1VtRNBiFNqbdGxwkx7ta2LHAURURRRJqmd success",
    ]
    assert _logs_only(logs) is None


# --- initialize and initialize_v2, built from the documented layout ----------------------------


@pytest.mark.parametrize("discriminator", [INITIALIZE, INITIALIZE_V2])
def test_initialize_and_v2_read_the_same_roles(discriminator: bytes) -> None:
    keys = [b58encode(random.Random(i).randbytes(32)) for i in range(18)]
    keys[3] = LETSBONK_PLATFORM
    keys[7] = WRAPPED_SOL
    data = encode_launch_args(discriminator, "Bonk Dog", "BDOG", "https://ipfs.io/ipfs/x")
    line = (
        "Program log: Instruction: Initialize"
        if discriminator == INITIALIZE
        else "Program log: Instruction: InitializeV2"
    )
    logs = [f"Program {PROGRAM} invoke [1]", line, f"Program {PROGRAM} success"]
    tx = Transaction.with_instructions(
        signature="sig",
        slot=1,
        failed=False,
        logs=logs,
        account_keys=keys,
        instructions=[Instruction(PROGRAM, keys, data, 1)],
    )

    found = DETECTOR.find(tx)

    assert found == FoundLaunch(
        LAUNCHLAB,
        "create",
        mint=keys[6],
        quote_mint=WRAPPED_SOL,
        platform="bonk",
        creator=keys[1],
        name="Bonk Dog",
        symbol="BDOG",
        uri="https://ipfs.io/ipfs/x",
    )
    # 17 accounts are too few for these two (18 documented): no roles.
    short = Transaction.with_instructions(
        signature="sig",
        slot=1,
        failed=False,
        logs=logs,
        account_keys=keys,
        instructions=[Instruction(PROGRAM, keys[:17], data, 1)],
    )
    found = DETECTOR.find(short)
    assert found is not None and found.mint is None and found.name == "Bonk Dog"


# --- the synthetic encoder ----------------------------------------------------------------------


def draw(seed: int, platform: bytes | None = None, quote: str = WRAPPED_SOL) -> TokenDraw:
    rng = random.Random(seed)
    return TokenDraw(
        mint=rng.randbytes(32),
        creator=rng.randbytes(32),
        name=f"Token {seed}",
        symbol=f"T{seed}",
        uri=f"https://example.org/{seed}.json",
        quote_mint=b58decode(quote),
        platform_config=platform,
        initial_buy_lamports=rng.choice([0, 250_000_000]),
        timestamp=1_780_000_000 + seed,
        keys=lambda: rng.randbytes(32),
        variation=seed,
    )


def as_get_transaction(
    signature: str, logs: list[str], instructions: Sequence[Instruction]
) -> bytes:
    """A ``json`` getTransaction result holding these instructions (inner ones grouped under
    the top-level one that invoked them), for decode_frame."""
    keys: list[str] = []
    index: dict[str, int] = {}

    def at(key: str) -> int:
        if key not in index:
            index[key] = len(keys)
            keys.append(key)
        return index[key]

    def raw(ix: Instruction) -> dict[str, Any]:
        data = ix.data or b""
        return {
            "programIdIndex": at(ix.program),
            "accounts": [at(key) for key in ix.accounts],
            "data": b58encode(data) if data else "",
            "stackHeight": ix.depth,
        }

    top: list[dict[str, Any]] = []
    inner: list[dict[str, Any]] = []
    for ix in instructions:
        if ix.depth == 1:
            top.append(raw(ix))
            inner.append({"index": len(top) - 1, "instructions": []})
        else:
            inner[-1]["instructions"].append(raw(ix))
    result = {
        "slot": 1,
        "blockTime": 1_780_000_000,
        "meta": {"err": None, "logMessages": logs, "innerInstructions": inner},
        "transaction": {
            "signatures": [signature],
            "message": {"accountKeys": keys, "instructions": top},
        },
    }
    return orjson.dumps(result)


def check_synthetic(launch: SyntheticLaunch, signature: str) -> None:
    """Its frames, logs-only and full, decode to exactly what it says."""
    logs = render_logs(launch.invokes, 1_400_000)
    logs_only = _decode(logs_notification(signature, logs))
    full = _decode(as_get_transaction(signature, logs, launch.instructions))
    for outcome, expected in ((logs_only, launch.from_logs), (full, launch.from_instruction)):
        assert isinstance(outcome, Launch), outcome
        got = FoundLaunch(**{name: getattr(outcome, name) for name in FoundLaunch.__slots__})
        assert got == expected


@pytest.mark.parametrize("seed", range(8))
def test_synthetic_frames_decode_to_what_the_encoder_says(seed: int) -> None:
    platform = b58decode(LETSBONK_PLATFORM) if seed % 3 == 0 else None
    quote = WRAPPED_SOL if seed % 2 else QUOTE_MINT
    launch = raydium_launchlab.synthetic(draw(seed, platform, quote))

    assert launch.from_instruction.mint == b58encode(draw(seed, platform, quote).mint)
    assert launch.from_instruction.platform == ("bonk" if platform else None)
    assert launch.from_logs.mint is None
    check_synthetic(launch, f"synthetic{seed}")


def test_the_synthetic_create_looks_like_the_real_one() -> None:
    launch = raydium_launchlab.synthetic(draw(1, quote=QUOTE_MINT))  # odd: a transfer fee
    logs = render_logs(launch.invokes, 1_400_000)
    real = RESULT["meta"]["logMessages"]

    def shape(lines: list[str]) -> list[str]:
        return [line for line in lines if "invoke" in line or "Instruction:" in line][:20]

    assert logs[1] == "Program log: Instruction: InitializeWithToken2022"
    # The same programs in the same order until the mint is set up, the event's self-CPI among
    # them (the real quote mint's token account logs one warning more).
    assert shape(logs)[:12] == shape(real)[:12]
    cpi = [ix for ix in launch.instructions if ix.program == PROGRAM and ix.depth == 2]
    assert cpi and cpi[0].data is not None and cpi[0].data[:16] == EVENT_CPI_TAG + POOL_CREATE_EVENT
