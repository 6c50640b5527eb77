"""decode_frame on real mainnet samples (tests/fixtures/, copied verbatim from shared/)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from domain.models import PUMP_FUN, RAYDIUM_AMM_V4, InvalidFrame, Launch
from operators.decode import decode_frame
from tests.solana_samples import (
    ARRIVED_AT,
    CREATEV2_SLOT,
    DETECTED_AT,
    FIXTURES,
    converted_fixtures,
    first_signature,
    fixture_bytes,
    fixture_json,
    fixture_lines,
    frame,
)

WRAPPED_SOL = "So11111111111111111111111111111111111111112"


def decode(payload: bytes | str) -> Launch | InvalidFrame | None:
    return decode_frame(frame(payload), DETECTED_AT)


def decode_launch(payload: bytes | str) -> Launch:
    outcome = decode(payload)
    assert isinstance(outcome, Launch), outcome
    return outcome


def invalid_reason(payload: bytes | str) -> str:
    outcome = decode(payload)
    assert isinstance(outcome, InvalidFrame), outcome
    return outcome.reason


# --- pump.fun ----------------------------------------------------------------------------------


LEGACY_SIGNATURE = (
    "52ar89rghM8EwKZkxFnBMC4LaMReqtVdpxqXxGWBCMYV1DnYdLrdsqJo8Hbn9KjVpckAokqGNHzTSVfK5xuLepdC"
)


def test_pump_fun_legacy_create_from_get_transaction_with_envelope() -> None:
    launch = decode_launch(fixture_bytes("pumpfun_create_legacy_getTransaction_2024-08.json"))

    assert launch.signature == LEGACY_SIGNATURE
    assert launch.slot == 284682639
    assert launch.launchpad == PUMP_FUN
    assert launch.event == "create"
    assert launch.quote_mint == WRAPPED_SOL
    assert launch.mint == "ER2N5eaDoC68kNhj7LyaScimzq7deaqxiw88rewvxaKp"
    assert launch.name == "excited"
    assert launch.symbol == "excited"
    assert launch.uri == "https://cf-ipfs.com/ipfs/QmcDiP9wAZ8QeijrNrtwLeMGk46vKAAe8yvfWtumBZbURq"
    # The 2024 event (201 bytes) stops after `user`: no creator field, so the creator is the user.
    assert launch.creator == "Fswrw3tgQL597kCexxLEhft6a7Su4CDoqwRMqqj4BEp5"
    # Its TradeEvent: sol_amount 1_100_000_000 lamports, is_buy, user == the creator.
    assert launch.initial_buy_sol == 1.1
    assert launch.truncated is False
    assert launch.arrived_at == ARRIVED_AT
    assert launch.detected_at == DETECTED_AT


def test_pump_fun_legacy_create_as_logs_only_frame_reads_the_same_event() -> None:
    launch = decode_launch(fixture_bytes("converted_pumpfun_create_legacy_logsNotification.json"))

    assert launch.signature == LEGACY_SIGNATURE
    assert launch.slot == 284682639
    assert launch.mint == "ER2N5eaDoC68kNhj7LyaScimzq7deaqxiw88rewvxaKp"
    assert launch.creator == "Fswrw3tgQL597kCexxLEhft6a7Su4CDoqwRMqqj4BEp5"
    assert launch.initial_buy_sol == 1.1


def test_pump_fun_create_v2_converted_from_block_subscribe_entry() -> None:
    launch = decode_launch(fixture_bytes("converted_pumpfun_createv2_logsNotification.json"))

    assert launch.signature == (
        "5EDHe12KqokKkhDLY8n5cs7hYs5g49mNFTMKHARafs9FMVBYcG1rYf7VD4h1zd19G7zaXGNLqqyTsczPXbbafYuZ"
    )
    assert launch.slot == CREATEV2_SLOT
    assert launch.launchpad == PUMP_FUN
    assert launch.event == "create"
    assert launch.quote_mint == WRAPPED_SOL
    # Decoded from the full (2026) CreateEvent, which carries a `creator` field.
    assert launch.mint == "7YD6ZHb39jGb33ki2iFd7kHK11yMkSFCc9kvjJscpump"
    assert launch.creator == "5zsxd4pGNCQpwyKiBWZ95nCTPsEPoS62xEGnjpW6FRy7"
    assert launch.name == "NYXORA"
    assert launch.symbol == "NYXORA"
    assert launch.uri == (
        "https://ipfs.io/ipfs/bafkreiguttiiufcl24xtnzgxvvonh7b535a3dh6txrjgwax2hyecsyj46i"
    )
    # The creator's Buy (a separate top-level pump.fun instruction): 98_750_018 lamports.
    assert launch.initial_buy_sol == 0.098750018
    assert launch.truncated is False


def test_block_subscribe_entry_itself_reads_as_a_base64_get_transaction_result() -> None:
    # {"transaction": [<base64>, "base64"], "meta": ...} is a getTransaction result in base64
    # encoding without slot: accepted, signature read from the wire bytes, slot unknown.
    launch = decode_launch(fixture_bytes("pumpfun_createv2_blockSubscribe_txentry_2026.json"))

    assert launch.signature.startswith("5EDHe12KqokKkhDLY8n5cs7hYs5g49mNFTM")
    assert launch.slot is None
    assert launch.mint == "7YD6ZHb39jGb33ki2iFd7kHK11yMkSFCc9kvjJscpump"


@pytest.mark.parametrize(
    ("name", "signature"),
    [
        (
            "pumpfun_createv2_blockSubscribe_txentry_2026.json",
            "5EDHe12KqokKkhDLY8n5cs7hYs5g49mNFTMKHARafs9FMVBYcG1rYf7VD4h1zd19G7zaXGNLqqyTsczPXbbafYuZ",
        ),
        (
            "pumpfun_cpi_buy_via_router_blockSubscribe_txentry_2025-05.json",
            "3mpAjSPh3w9RZpPZURbV2nxbrykLfEJfPCe4xL2Sba5vwUaHDPYh15ktY5BHY7zRMeoMGNNdQzCiDjy1XSACNSMY",
        ),
    ],
)
def test_first_signature_of_block_subscribe_entries(name: str, signature: str) -> None:
    assert first_signature(fixture_json(name)["transaction"][0]) == signature


def test_pump_fun_buy_through_a_router_at_depth_2_is_not_a_launch() -> None:
    entry = fixture_json("pumpfun_cpi_buy_via_router_blockSubscribe_txentry_2025-05.json")
    logs = entry["meta"]["logMessages"]
    assert "Program log: Instruction: Buy" in logs  # the upstream file name says "create"

    assert (
        decode(fixture_bytes("pumpfun_cpi_buy_via_router_blockSubscribe_txentry_2025-05.json"))
        is None
    )


def test_pump_fun_buy_and_sell_is_not_a_launch() -> None:
    assert decode(fixture_bytes("pumpfun_buy_and_sell_getTransaction_2024-08.json")) is None


# --- Raydium AMM v4 ----------------------------------------------------------------------------

FAILED_RAYDIUM = "raydium_amm_v4_initialize2_FAILED_RepeatCreateAmm_getTransaction_2024-04.json"


def test_failed_raydium_initialize2_is_ignored_although_its_launch_logs_are_present() -> None:
    result = fixture_json(FAILED_RAYDIUM)
    assert result["meta"]["err"] == {"InstructionError": [4, {"Custom": 49}]}
    assert any(
        "initialize2: InitializeInstruction2" in line for line in result["meta"]["logMessages"]
    )

    assert decode(fixture_bytes(FAILED_RAYDIUM)) is None


def test_same_raydium_initialize2_with_err_null_is_a_launch_with_the_token_side_as_mint() -> None:
    result = fixture_json(FAILED_RAYDIUM)
    result["meta"]["err"] = None

    launch = decode_launch(orjson.dumps(result))

    assert launch.launchpad == RAYDIUM_AMM_V4
    assert launch.event == "pool"
    assert launch.signature == (
        "3CqW9BpKfmkYqZ1jrDUn82i79vL6RPyPpBKwX2pdG42bx4Z4TGBmvfK1arbaJBam8AXsCeL7BUze1PKWHuCerpCQ"
    )
    assert launch.slot == 257620008
    # initialize2 accounts: [8] coin mint = the token, [9] pc mint = wrapped SOL, [17] creator.
    assert launch.mint == "hJkRHwmMGeSJZrjzGaK2ZGgwJSEzWHvYTBt1EhWUrjB"
    assert launch.quote_mint == WRAPPED_SOL
    assert launch.creator == "9X6Sf3CCfFAfMCJcnAFnKgCDujkyb1Vu94HU94ZZ9zot"
    assert launch.initial_buy_sol is None
    assert launch.name is None


def test_helius_raydium_initialize2_is_a_launch_with_mint_and_creator_from_accounts() -> None:
    (line,) = fixture_lines("helius_transactionNotification_raydium_initialize2_one.jsonl")

    launch = decode_launch(line)

    assert launch.launchpad == RAYDIUM_AMM_V4
    assert launch.event == "pool"
    assert launch.signature == (
        "N7UtJouhKAFXCiWQkrDxGLj2bHsJmP9DbLWq7vFYZJqTAdPzdfFfBQQ8fgVnU8Qras6RCu1Qa4WLMSVDwSmAcyi"
    )
    assert launch.slot == 305978588
    # Here wrapped SOL is the COIN side (accounts[8]) and the token the pc side (accounts[9]).
    assert launch.mint == "6Ed5YTw9AoUhr5VcsjZdGHqpdruqgCaZcLv7WU6npump"
    assert launch.mint != WRAPPED_SOL
    assert launch.quote_mint == WRAPPED_SOL
    assert launch.creator == "39azUYFWPz3VHgKCf3VChUwbpURdCHRxjWVowf5jUJjg"  # accounts[17]
    assert launch.initial_buy_sol is None
    assert launch.truncated is False


def test_helius_raydium_initialize2_with_account_indexes_instead_of_keys() -> None:
    # The "json" encoding: accountKeys are strings, instructions hold programIdIndex and
    # account indexes. Rewrite the jsonParsed sample into that shape.
    (line,) = fixture_lines("helius_transactionNotification_raydium_initialize2_one.jsonl")
    notification = orjson.loads(line)
    message = notification["params"]["result"]["transaction"]["transaction"]["message"]
    keys = [entry["pubkey"] for entry in message["accountKeys"]]
    message["accountKeys"] = keys
    for instruction in message["instructions"]:
        if "programId" in instruction and "accounts" in instruction:
            instruction["programIdIndex"] = keys.index(instruction.pop("programId"))
            instruction["accounts"] = [keys.index(key) for key in instruction["accounts"]]

    launch = decode_launch(orjson.dumps(notification))

    assert launch.mint == "6Ed5YTw9AoUhr5VcsjZdGHqpdruqgCaZcLv7WU6npump"
    assert launch.creator == "39azUYFWPz3VHgKCf3VChUwbpURdCHRxjWVowf5jUJjg"


def test_same_raydium_launch_as_logs_only_notification_has_no_mint() -> None:
    launch = decode_launch(fixture_bytes("converted_raydium_initialize2_logsNotification.json"))

    assert launch.launchpad == RAYDIUM_AMM_V4
    assert launch.event == "pool"
    assert launch.slot == 305978588
    assert launch.mint is None
    assert launch.creator is None


@pytest.mark.parametrize("index", [0, 1])
def test_helius_raydium_swaps_are_not_launches(index: int) -> None:
    lines = fixture_lines("helius_transactionNotification_raydium_swaps_two.jsonl")
    assert len(lines) == 2

    assert decode(lines[index]) is None


# --- websocket frames, aggregators, other shapes ----------------------------------------------


def _ws_frames() -> list[dict[str, Any]]:
    return [
        orjson.loads(line)
        for line in fixture_lines("ws_frames_agave_vs_helius_verbatim_2026-08.jsonl")
    ]


def test_ws_vote_logs_notification_is_ignored() -> None:
    (vote,) = [f for f in _ws_frames() if f.get("method") == "logsNotification"]
    assert decode(orjson.dumps(vote)) is None


def test_ws_acks_and_other_notifications_are_not_transactions() -> None:
    others = [f for f in _ws_frames() if "error" not in f and f.get("method") != "logsNotification"]
    assert len(others) == 21  # acks (numbers and one `false`) and seven kinds of notification

    assert {invalid_reason(orjson.dumps(f)) for f in others} == {"not_a_transaction"}


def test_ws_error_frames_are_rpc_errors() -> None:
    errors = [f for f in _ws_frames() if "error" in f]
    assert len(errors) == 3

    for error_frame in errors:
        outcome = decode(orjson.dumps(error_frame))
        assert isinstance(outcome, InvalidFrame)
        assert outcome.reason == "rpc_error"
        assert str(error_frame["error"]["code"]) in outcome.detail


@pytest.mark.parametrize("kind", ["pump", "bonk"])
def test_pumpportal_payloads_are_invalid(kind: str) -> None:
    # PumpPortal is a third-party aggregator, not an RPC node: its payloads are none of the
    # frame formats of the contract, so they are invalid even though they describe creates.
    payload = fixture_json("pumpportal_subscribeNewToken_payloads_2026-09.json")[kind]
    assert payload["txType"] == "create"

    assert invalid_reason(orjson.dumps(payload)) == "not_a_transaction"


def test_pumpportal_fixture_file_as_a_whole_is_invalid() -> None:
    assert invalid_reason(fixture_bytes("pumpportal_subscribeNewToken_payloads_2026-09.json")) == (
        "not_a_transaction"
    )


def test_carbon_decoded_instruction_is_not_a_frame() -> None:
    name = "pumpfun_create_instruction_accounts_and_data_carbon.json"
    assert invalid_reason(fixture_bytes(name)) == "not_a_transaction"


def test_converted_fixtures_are_what_the_helpers_make() -> None:
    for name, payload in converted_fixtures().items():
        assert fixture_bytes(name) == payload + b"\n", name


def _outcome(payload: bytes) -> str:
    outcome = decode(payload)
    if outcome is None:
        return "ignored"
    if isinstance(outcome, InvalidFrame):
        return f"invalid:{outcome.reason}"
    return f"launch:{outcome.launchpad}"


_WS_OUTCOMES = [
    "invalid:not_a_transaction",  # ack
    "invalid:not_a_transaction",  # accountNotification
    "invalid:not_a_transaction",
    "invalid:not_a_transaction",  # programNotification
    "invalid:not_a_transaction",
    "invalid:not_a_transaction",  # slotNotification
    "invalid:not_a_transaction",
    "invalid:not_a_transaction",  # rootNotification
    "invalid:not_a_transaction",
    "ignored",  # the vote logsNotification
    "invalid:not_a_transaction",
    "invalid:not_a_transaction",  # slotsUpdatesNotification
    "invalid:rpc_error",
    "invalid:rpc_error",
    *["invalid:not_a_transaction"] * 10,  # Helius acks and notifications, {"result": false}
    "invalid:rpc_error",  # Helius: blockSubscribe "Method not found"
]

#: Every sample file in tests/fixtures/ and what each of its frames decodes to.
EXPECTED_OUTCOMES = {
    "converted_pumpfun_create_legacy_logsNotification.json": ["launch:pump_fun"],
    "converted_pumpfun_createv2_logsNotification.json": ["launch:pump_fun"],
    "converted_raydium_initialize2_logsNotification.json": ["launch:raydium_amm_v4"],
    "helius_transactionNotification_raydium_initialize2_one.jsonl": ["launch:raydium_amm_v4"],
    "helius_transactionNotification_raydium_swaps_two.jsonl": ["ignored", "ignored"],
    "pumpfun_buy_and_sell_getTransaction_2024-08.json": ["ignored"],
    "pumpfun_cpi_buy_via_router_blockSubscribe_txentry_2025-05.json": ["ignored"],
    "pumpfun_create_instruction_accounts_and_data_carbon.json": ["invalid:not_a_transaction"],
    "pumpfun_create_legacy_getTransaction_2024-08.json": ["launch:pump_fun"],
    "pumpfun_createv2_blockSubscribe_txentry_2026.json": ["launch:pump_fun"],
    "pumpportal_subscribeNewToken_payloads_2026-09.json": ["invalid:not_a_transaction"],
    FAILED_RAYDIUM: ["ignored"],
    "ws_frames_agave_vs_helius_verbatim_2026-08.jsonl": _WS_OUTCOMES,
}


def test_every_sample_file_has_an_expected_outcome() -> None:
    on_disk = {p.name for p in FIXTURES.iterdir() if p.suffix in (".json", ".jsonl")}
    assert on_disk >= set(EXPECTED_OUTCOMES)
    unexpected = {name for name in on_disk - set(EXPECTED_OUTCOMES) if _is_solana_sample(name)}
    assert not unexpected, f"decide the outcome of {sorted(unexpected)}"


def _is_solana_sample(name: str) -> bool:
    # Other tests may keep their own fixtures here; the Solana samples carry a .source.txt.
    return (FIXTURES / f"{name}.source.txt").exists() or name.startswith("converted_")


@pytest.mark.parametrize("name", sorted(EXPECTED_OUTCOMES))
def test_sample_outcomes(name: str) -> None:
    payloads = fixture_lines(name) if name.endswith(".jsonl") else [fixture_bytes(name)]
    assert [_outcome(payload) for payload in payloads] == EXPECTED_OUTCOMES[name]


# --- the bare shapes: a notification's params.result without its envelope ----------------------


def test_bare_params_result_of_a_helius_notification_decodes_alike() -> None:
    (line,) = fixture_lines("helius_transactionNotification_raydium_initialize2_one.jsonl")
    bare = orjson.loads(line)["params"]["result"]

    assert decode(orjson.dumps(bare)) == decode(line)


def test_bare_context_value_of_a_logs_notification_decodes_alike() -> None:
    payload = fixture_bytes("converted_pumpfun_createv2_logsNotification.json")
    bare = orjson.loads(payload)["params"]["result"]
    assert set(bare) == {"context", "value"}

    assert decode(orjson.dumps(bare)) == decode(payload)


def test_get_transaction_with_and_without_envelope_decode_alike() -> None:
    response = fixture_json("pumpfun_create_legacy_getTransaction_2024-08.json")

    assert decode(orjson.dumps(response["result"])) == decode(orjson.dumps(response))
