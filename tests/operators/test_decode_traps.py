"""decode_frame on the known traps of Solana frames: look-alike lines, wrong frames, truncated
logs."""

from __future__ import annotations

import base64

import base58
import orjson
import pytest

from domain.models import PUMP_FUN, PUMP_SWAP, RAYDIUM_AMM_V4, InvalidFrame, Launch
from operators.decode import decode_frame
from tests.solana_samples import (
    ATA_PROGRAM,
    DETECTED_AT,
    EVENT_CPI_TAG,
    ROUTER,
    TOKEN_PROGRAM,
    WRAPPED_SOL,
    consumed,
    create_event,
    create_pool_event,
    data_line,
    fixture_json,
    fixture_lines,
    frame,
    invoke,
    logs_notification,
    pubkey,
    pump_create_logs,
    success,
    trade_event,
)
from tests.solana_samples import (
    PUMP_FUN as PUMP_FUN_PROGRAM,
)
from tests.solana_samples import (
    PUMP_SWAP as PUMP_SWAP_PROGRAM,
)
from tests.solana_samples import (
    RAYDIUM_AMM_V4 as RAYDIUM_PROGRAM,
)

SIGNATURE = "4" * 88


def decode_logs(logs: list[str], err: object = None) -> Launch | InvalidFrame | None:
    return decode_frame(frame(logs_notification(SIGNATURE, logs, 123, err)), DETECTED_AT)


def launch_of(logs: list[str]) -> Launch:
    outcome = decode_logs(logs)
    assert isinstance(outcome, Launch), outcome
    return outcome


# --- what is a launch and what is not -------------------------------------------------------


def test_synthetic_create_with_buy_is_a_full_launch() -> None:
    launch = launch_of(pump_create_logs(trade=trade_event(lamports=1_500_000_000)))

    assert launch.launchpad == PUMP_FUN
    assert launch.signature == SIGNATURE
    assert launch.slot == 123
    assert launch.mint == pubkey(1)
    assert launch.creator == pubkey(3)
    assert (launch.name, launch.symbol, launch.uri) == (
        "Moon Cat",
        "MCAT",
        "https://ipfs.io/ipfs/QmTest",
    )
    assert launch.initial_buy_sol == 1.5
    assert launch.truncated is False


def test_create_v2_is_a_launch() -> None:
    assert launch_of(pump_create_logs(instruction="CreateV2")).mint == pubkey(1)


def test_create_through_a_router_cpi_at_depth_2_is_a_launch() -> None:
    logs = [invoke(ROUTER), *pump_create_logs(depth=2), success(ROUTER)]

    assert launch_of(logs).mint == pubkey(1)


def test_create_token_account_inside_pump_fun_is_not_a_launch() -> None:
    logs = pump_create_logs(instruction="CreateTokenAccount")

    assert decode_logs(logs) is None


@pytest.mark.parametrize("name", ["Create ", "create", "CreateV3", "CreatePool", "Create2"])
def test_other_names_that_start_like_create_are_not_pump_launches(name: str) -> None:
    assert decode_logs(pump_create_logs(instruction=name)) is None


def test_instruction_create_printed_by_the_token_program_is_not_a_launch() -> None:
    logs = [
        invoke(PUMP_FUN_PROGRAM),
        "Program log: Instruction: Buy",
        invoke(TOKEN_PROGRAM, 2),
        "Program log: Instruction: Create",
        consumed(TOKEN_PROGRAM),
        success(TOKEN_PROGRAM),
        data_line(trade_event()),
        success(PUMP_FUN_PROGRAM),
    ]

    assert decode_logs(logs) is None


def test_ata_program_create_line_is_not_a_launch() -> None:
    logs = [invoke(ATA_PROGRAM), "Program log: Create", success(ATA_PROGRAM)]
    logs += [invoke(PUMP_FUN_PROGRAM), "Program log: Instruction: Buy", success(PUMP_FUN_PROGRAM)]

    assert decode_logs(logs) is None


def test_create_line_in_another_program_while_pump_fun_runs_elsewhere_is_not_a_launch() -> None:
    logs = [
        invoke(PUMP_FUN_PROGRAM),
        "Program log: Instruction: Buy",
        success(PUMP_FUN_PROGRAM),
        invoke(ROUTER),
        "Program log: Instruction: Create",
        data_line(create_event()),
        success(ROUTER),
        invoke(PUMP_FUN_PROGRAM),
        "Program log: Instruction: Sell",
        success(PUMP_FUN_PROGRAM),
    ]

    assert decode_logs(logs) is None


def test_create_line_with_no_open_frame_is_not_a_launch() -> None:
    assert decode_logs(["Program log: Instruction: Create", data_line(create_event())]) is None


def test_create_line_after_pump_frame_closed_is_not_a_launch() -> None:
    logs = [invoke(ROUTER), invoke(PUMP_FUN_PROGRAM, 2), success(PUMP_FUN_PROGRAM)]
    logs += ["Program log: Instruction: Create", success(ROUTER)]

    assert decode_logs(logs) is None


def test_a_log_message_cannot_fake_an_invoke_line() -> None:
    # One log entry holding a newline and a look-alike invoke line is still one log entry.
    logs = [
        invoke(ROUTER),
        f"Program log: hello\n{invoke(PUMP_FUN_PROGRAM, 2)}",
        "Program log: Instruction: Create",
        data_line(create_event()),
        success(ROUTER),
    ]

    assert decode_logs(logs) is None


def test_a_log_message_ending_in_success_does_not_close_a_frame() -> None:
    logs = pump_create_logs()
    logs.insert(2, "Program log: step one success")

    assert launch_of(logs).mint == pubkey(1)


def test_failed_pump_fun_create_is_ignored() -> None:
    logs = pump_create_logs(trade=trade_event())

    assert decode_logs(logs, err={"InstructionError": [3, {"Custom": 6002}]}) is None
    assert decode_logs(logs, err="AccountInUse") is None


def test_a_frame_with_two_launches_yields_the_first() -> None:
    first = pump_create_logs(event=create_event(mint=pubkey(1)), trade=trade_event(pubkey(1)))
    second = pump_create_logs(
        event=create_event(name="Second", mint=pubkey(9)), trade=trade_event(pubkey(9), 7 * 10**9)
    )

    launch = launch_of(first + second)

    assert launch.mint == pubkey(1)
    assert launch.initial_buy_sol == 0.5


def test_second_create_without_buy_of_first_does_not_lend_its_buy() -> None:
    first = pump_create_logs(event=create_event(mint=pubkey(1)))
    second = pump_create_logs(event=create_event(mint=pubkey(9)), trade=trade_event(pubkey(9)))

    launch = launch_of(first + second)

    assert launch.mint == pubkey(1)
    assert launch.initial_buy_sol is None


# --- the creator's initial buy ----------------------------------------------------------------


def test_no_buy_means_no_initial_buy() -> None:
    assert launch_of(pump_create_logs()).initial_buy_sol is None


def test_a_sell_or_someone_elses_buy_is_not_the_initial_buy() -> None:
    assert launch_of(pump_create_logs(trade=trade_event(is_buy=False))).initial_buy_sol is None
    assert launch_of(pump_create_logs(trade=trade_event(user=pubkey(4)))).initial_buy_sol is None
    assert launch_of(pump_create_logs(trade=trade_event(mint=pubkey(5)))).initial_buy_sol is None


def test_creator_field_of_2026_events_is_the_creator_and_the_signer_buy_counts() -> None:
    event = create_event(user=pubkey(3), creator=pubkey(6))

    launch = launch_of(pump_create_logs(event=event, trade=trade_event(user=pubkey(3))))

    assert launch.creator == pubkey(6)
    assert launch.initial_buy_sol == 0.5


def test_trade_event_logged_by_another_program_is_not_the_initial_buy() -> None:
    logs = pump_create_logs()
    logs += [invoke(ROUTER), data_line(trade_event(lamports=9 * 10**9)), success(ROUTER)]

    assert launch_of(logs).initial_buy_sol is None


def test_corrupt_trade_event_after_a_good_create_event_is_skipped() -> None:
    logs = pump_create_logs(trade=trade_event())
    buy_data = next(i for i, line in enumerate(logs) if line.startswith("Program data: vdt/"))
    logs[buy_data] = "Program data: vdt/007mYe!!!not base64"

    launch = launch_of(logs)

    assert launch.mint == pubkey(1)
    assert launch.initial_buy_sol is None


# --- truncated logs and cut events --------------------------------------------------------------


def test_logs_truncated_before_the_event_give_a_truncated_launch_without_mint() -> None:
    logs = [*pump_create_logs()[:6], "Log truncated"]

    launch = launch_of(logs)

    assert (launch.launchpad, launch.truncated) == (PUMP_FUN, True)
    assert (launch.mint, launch.creator, launch.name) == (None, None, None)


def test_logs_truncated_after_the_event_keep_the_event_and_say_truncated() -> None:
    logs = pump_create_logs()
    logs = [*logs[: logs.index(data_line(create_event())) + 1], "Log truncated"]

    launch = launch_of(logs)

    assert launch.mint == pubkey(1)
    assert launch.truncated is True


def test_create_without_any_event_is_a_truncated_launch() -> None:
    logs = [line for line in pump_create_logs() if not line.startswith("Program data:")]

    launch = launch_of(logs)

    assert launch.mint is None
    assert launch.truncated is True


def test_event_with_another_discriminator_is_not_read_as_the_create_event() -> None:
    logs = pump_create_logs(event=b"\x01" * 8 + create_event()[8:])

    launch = launch_of(logs)

    assert launch.mint is None
    assert launch.truncated is True


def test_event_cut_mid_string_keeps_the_fields_read_so_far() -> None:
    event = create_event()
    cut = 8 + 4 + len("Moon Cat") + 4 + 2  # inside the symbol
    launch = launch_of(pump_create_logs(event=event[:cut]))

    assert launch.name == "Moon Cat"
    assert launch.symbol is None
    assert launch.uri is None
    assert launch.mint is None
    assert launch.truncated is True


def test_event_cut_inside_a_length_prefix_keeps_the_fields_read_so_far() -> None:
    event = create_event()
    cut = 8 + 4 + len("Moon Cat") + 4 + len("MCAT") + 2  # inside uri's length prefix

    launch = launch_of(pump_create_logs(event=event[:cut]))

    assert (launch.name, launch.symbol, launch.uri) == ("Moon Cat", "MCAT", None)


def test_event_cut_after_the_mint_has_the_mint_but_no_creator() -> None:
    event = create_event()
    mint_end = 8 + 4 + len("Moon Cat") + 4 + len("MCAT") + 4 + len("https://ipfs.io/ipfs/QmTest")
    mint_end += 32

    launch = launch_of(pump_create_logs(event=event[: mint_end + 10], trade=trade_event()))

    assert launch.mint == pubkey(1)
    assert launch.creator is None
    assert launch.initial_buy_sol is None  # the buyer cannot be matched to an unknown creator
    assert launch.truncated is True


def test_string_length_larger_than_the_event_is_a_cut() -> None:
    event = create_event()[:8] + (2**32 - 1).to_bytes(4, "little") + b"abc"

    launch = launch_of(pump_create_logs(event=event))

    assert launch.name is None
    assert launch.truncated is True


def test_strings_with_invalid_utf8_and_nul_padding_are_cleaned() -> None:
    event = create_event(name="Moon\x00\x00", symbol="\x00MC\x00")
    event = event.replace(b"MC", b"M\xff")

    launch = launch_of(pump_create_logs(event=event))

    assert launch.name == "Moon"
    assert launch.symbol == "M\ufffd"


@pytest.mark.parametrize(
    "bad_data",
    [
        "!!!not base64!!!",
        "G3KpTd7rY3Y=AAAA",  # padding in the middle
        "G3KpTd7rY3YHA",  # 13 characters: not a whole number of base64 quanta
        "G3KpTd7rY3Y\u00e9AA",
    ],
)
def test_corrupt_base64_in_the_create_event_is_undecodable(bad_data: str) -> None:
    logs = pump_create_logs()
    logs[logs.index(data_line(create_event()))] = "Program data: " + bad_data

    outcome = decode_logs(logs)

    assert isinstance(outcome, InvalidFrame)
    assert outcome.reason == "undecodable_event"
    assert "base64" in outcome.detail


@pytest.mark.parametrize(
    "data",
    [
        "",  # no bytes at all: not the CreateEvent, so the event is missing
        "G3KpTd7rY3YH",  # valid base64 of the discriminator and one byte: cut before the name
    ],
)
def test_valid_base64_without_a_readable_event_is_a_truncated_launch(data: str) -> None:
    logs = pump_create_logs()
    logs[logs.index(data_line(create_event()))] = "Program data: " + data

    launch = launch_of(logs)

    assert launch.mint is None
    assert launch.truncated is True


def test_full_transaction_frame_recovers_the_event_lost_to_truncated_logs() -> None:
    # pump.fun also emits its events by self-CPI (Anchor emit_cpi!): the inner instruction data
    # survive the log limit, so a getTransaction or Helius frame still has the mint.
    response = fixture_json("pumpfun_create_legacy_getTransaction_2024-08.json")
    logs = response["result"]["meta"]["logMessages"]
    response["result"]["meta"]["logMessages"] = [*logs[:10], "Log truncated"]

    outcome = decode_frame(frame(orjson.dumps(response)), DETECTED_AT)

    assert isinstance(outcome, Launch)
    assert outcome.mint == "ER2N5eaDoC68kNhj7LyaScimzq7deaqxiw88rewvxaKp"
    assert outcome.name == "excited"
    assert outcome.creator == "Fswrw3tgQL597kCexxLEhft6a7Su4CDoqwRMqqj4BEp5"
    assert outcome.initial_buy_sol == 1.1  # its TradeEvent came by self-CPI as well
    assert outcome.truncated is True  # the logs were cut, whatever was recovered


def test_full_transaction_frame_recovers_the_buy_lost_to_truncated_logs() -> None:
    response = fixture_json("pumpfun_create_legacy_getTransaction_2024-08.json")
    logs = response["result"]["meta"]["logMessages"]
    event_line = next(i for i, line in enumerate(logs) if line.startswith("Program data: G3Kp"))
    response["result"]["meta"]["logMessages"] = [*logs[: event_line + 1], "Log truncated"]
    logs_only = logs_notification(SIGNATURE, response["result"]["meta"]["logMessages"])

    full = decode_frame(frame(orjson.dumps(response)), DETECTED_AT)
    from_logs = decode_frame(frame(logs_only), DETECTED_AT)

    assert isinstance(full, Launch)
    assert isinstance(from_logs, Launch)
    assert full.mint == from_logs.mint == "ER2N5eaDoC68kNhj7LyaScimzq7deaqxiw88rewvxaKp"
    assert full.initial_buy_sol == 1.1
    assert from_logs.initial_buy_sol is None
    assert full.truncated is from_logs.truncated is True


# --- PumpSwap ----------------------------------------------------------------------------------


def pump_swap_logs(event: bytes | None) -> list[str]:
    logs = [invoke(PUMP_SWAP_PROGRAM), "Program log: Instruction: CreatePool"]
    logs += [invoke(TOKEN_PROGRAM, 2), success(TOKEN_PROGRAM)]
    if event is not None:
        logs.append(data_line(event))
    return [*logs, consumed(PUMP_SWAP_PROGRAM), success(PUMP_SWAP_PROGRAM)]


def test_pump_swap_create_pool_is_a_launch_of_the_base_mint() -> None:
    launch = launch_of(pump_swap_logs(create_pool_event()))

    assert launch.launchpad == PUMP_SWAP
    assert launch.mint == pubkey(8)
    assert launch.creator == pubkey(7)
    assert launch.initial_buy_sol is None
    assert launch.truncated is False


def test_pump_swap_pool_with_wrapped_sol_as_base_takes_the_quote_as_token() -> None:
    event = create_pool_event(base_mint=WRAPPED_SOL, quote_mint=pubkey(8))

    assert launch_of(pump_swap_logs(event)).mint == pubkey(8)


@pytest.mark.parametrize(
    "event",
    [None, create_pool_event()[:20], b"\x00" * 8 + create_pool_event()[8:]],
    ids=["missing", "cut", "other-discriminator"],
)
def test_pump_swap_event_unreadable_still_a_launch_without_mint(event: bytes | None) -> None:
    launch = launch_of(pump_swap_logs(event))

    assert launch.launchpad == PUMP_SWAP
    assert launch.mint is None
    assert launch.truncated is True


def test_pump_swap_corrupt_base64_is_lenient() -> None:
    logs = pump_swap_logs(create_pool_event())
    logs[4] = "Program data: %%%"

    launch = launch_of(logs)

    assert launch.launchpad == PUMP_SWAP
    assert launch.mint is None


def test_pump_swap_event_from_self_cpi_in_a_get_transaction_frame() -> None:
    data = EVENT_CPI_TAG + create_pool_event()
    response = {
        "jsonrpc": "2.0",
        "id": 1,
        "result": {
            "slot": 400_000_000,
            "blockTime": None,
            "meta": {
                "err": None,
                "logMessages": pump_swap_logs(None),
                "innerInstructions": [
                    {
                        "index": 0,
                        "instructions": [
                            {
                                "programId": PUMP_SWAP_PROGRAM,
                                "accounts": [pubkey(11)],
                                "data": _b58(data),
                            }
                        ],
                    }
                ],
            },
            "transaction": {
                "signatures": [SIGNATURE],
                "message": {
                    "accountKeys": [{"pubkey": pubkey(7)}],
                    "instructions": [{"programId": PUMP_SWAP_PROGRAM, "accounts": [], "data": ""}],
                },
            },
        },
    }

    outcome = decode_frame(frame(orjson.dumps(response)), DETECTED_AT)

    assert isinstance(outcome, Launch)
    assert outcome.launchpad == PUMP_SWAP
    assert outcome.mint == pubkey(8)
    assert outcome.slot == 400_000_000


def test_create_pool_printed_by_another_program_is_not_a_launch() -> None:
    logs = [invoke(ROUTER), "Program log: Instruction: CreatePool", success(ROUTER)]

    assert decode_logs(logs) is None


# --- Raydium ----------------------------------------------------------------------------------

INITIALIZE2 = (
    "Program log: initialize2: InitializeInstruction2 { nonce: 254, open_time: 0, "
    "init_pc_amount: 206900000000000, init_coin_amount: 79005359551 }"
)


def test_raydium_initialize2_line_outside_raydium_frame_is_not_a_launch() -> None:
    logs = [invoke(ROUTER), INITIALIZE2, success(ROUTER)]
    logs += [
        invoke(RAYDIUM_PROGRAM),
        "Program log: ray_log: AwDh9QUAAAAA",
        success(RAYDIUM_PROGRAM),
    ]

    assert decode_logs(logs) is None


def test_raydium_initialize2_inside_raydium_frame_at_depth_2_is_a_launch() -> None:
    logs = [invoke(ROUTER), invoke(RAYDIUM_PROGRAM, 2), INITIALIZE2, success(RAYDIUM_PROGRAM)]

    outcome = decode_logs([*logs, success(ROUTER)])

    assert isinstance(outcome, Launch)
    assert outcome.launchpad == RAYDIUM_AMM_V4
    assert outcome.mint is None


def test_raydium_mint_comes_from_initialize2_not_from_a_swap_before_it() -> None:
    (line,) = fixture_lines("helius_transactionNotification_raydium_initialize2_one.jsonl")
    notification = orjson.loads(line)
    message = notification["params"]["result"]["transaction"]["transaction"]["message"]
    swap = {
        "programId": RAYDIUM_PROGRAM,
        "accounts": [pubkey(20 + i) for i in range(18)],
        "data": _b58(bytes([9]) + bytes(16)),  # SwapBaseIn
    }
    message["instructions"].insert(0, swap)
    notification["params"]["result"]["transaction"]["meta"]["innerInstructions"] = []

    outcome = decode_frame(frame(orjson.dumps(notification)), DETECTED_AT)

    assert isinstance(outcome, Launch)
    assert outcome.mint == "6Ed5YTw9AoUhr5VcsjZdGHqpdruqgCaZcLv7WU6npump"


def test_raydium_frame_with_unusable_accounts_is_a_launch_without_mint() -> None:
    (line,) = fixture_lines("helius_transactionNotification_raydium_initialize2_one.jsonl")
    notification = orjson.loads(line)
    message = notification["params"]["result"]["transaction"]["transaction"]["message"]
    for instruction in message["instructions"]:
        if instruction.get("programId") == RAYDIUM_PROGRAM:
            instruction["accounts"] = instruction["accounts"][:5]

    outcome = decode_frame(frame(orjson.dumps(notification)), DETECTED_AT)

    assert isinstance(outcome, Launch)
    assert outcome.launchpad == RAYDIUM_AMM_V4
    assert outcome.mint is None


def _b58(data: bytes) -> str:
    return base58.b58encode(data).decode()


def test_b64_helper_round_trips() -> None:
    # Guard for the helpers above: a data line carries exactly the event bytes.
    assert base64.b64decode(data_line(b"abc")[14:]) == b"abc"
