"""decode_frame never raises: a table of bad frames, then property tests over arbitrary input."""

from __future__ import annotations

import base64
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.models import LAUNCHPADS, InvalidFrame, Launch, RawFrame
from operators.decode import INVALID_REASONS, MAX_PAYLOAD_BYTES, decode_frame
from tests.solana_samples import (
    ARRIVED_AT,
    DETECTED_AT,
    PUMP_FUN,
    PUMP_SWAP,
    RAYDIUM_AMM_V4,
    ROUTER,
    TOKEN_PROGRAM,
    create_event,
    create_pool_event,
    data_line,
    fixture_bytes,
    fixture_json,
    fixture_lines,
    frame,
    invoke,
    logs_notification,
    pump_create_logs,
    success,
    trade_event,
)

SIGNATURE = "5" * 88
VOTE_LOGS = [
    "Program Vote111111111111111111111111111111111111111 invoke [1]",
    "Program Vote111111111111111111111111111111111111111 success",
]


def notification(**value_overrides: Any) -> bytes:
    value: dict[str, Any] = {"signature": SIGNATURE, "err": None, "logs": VOTE_LOGS}
    value.update(value_overrides)
    return orjson.dumps(
        {
            "jsonrpc": "2.0",
            "method": "logsNotification",
            "params": {"result": {"context": {"slot": 5}, "value": value}, "subscription": 1},
        }
    )


def without(key: str) -> bytes:
    doc = orjson.loads(notification())
    del doc["params"]["result"]["value"][key]
    return orjson.dumps(doc)


def get_transaction(**result_overrides: Any) -> bytes:
    result: dict[str, Any] = {
        "slot": 7,
        "blockTime": 1_700_000_000,
        "meta": {"err": None, "logMessages": VOTE_LOGS},
        "transaction": {"signatures": [SIGNATURE], "message": {"accountKeys": []}},
    }
    result.update(result_overrides)
    return orjson.dumps({"jsonrpc": "2.0", "result": result, "id": 1})


def logs_doc(params: bytes) -> bytes:
    """A logsNotification whose `params` is the given JSON text, byte for byte."""
    return b'{"method":"logsNotification","params":' + params + b"}"


CORRUPT_EVENT_LOGS = pump_create_logs()
CORRUPT_EVENT_LOGS[CORRUPT_EVENT_LOGS.index(data_line(create_event()))] = (
    "Program data: G3KpTd7r$$$$garbage"
)

NOT_TX = "not_a_transaction"

#: (id, payload, expected reason or None for "valid, no launch")
BAD_FRAMES: list[tuple[str, Any, str | None]] = [
    ("empty-bytes", b"", "not_json"),
    ("empty-str", "", "not_json"),
    ("whitespace", b" \n\t ", "not_json"),
    ("bom-and-junk", b"\xff\xfe", "not_json"),
    ("utf8-bom-object", b"\xef\xbb\xbf{}", "not_json"),
    ("invalid-utf8-in-string", b'{"a": "\xc3\x28"}', "not_json"),
    ("lone-surrogate-str", '{"a": "\ud800"}', "not_json"),
    ("null", "null", "not_object"),
    ("empty-array", "[]", "not_object"),
    ("number", "42", "not_object"),
    ("string", '"str"', "not_object"),
    ("true", b"true", "not_object"),
    ("deeply-nested-arrays", "[" * 100_000 + "]" * 100_000, "not_json"),
    ("deeply-nested-objects", '{"a":' * 5000 + "1" + "}" * 5000, "not_json"),
    ("nested-but-shallow-enough", "[" * 500 + "]" * 500, "not_object"),
    ("truncated-json", notification()[:-7], "not_json"),
    ("nan", b'{"a": NaN}', "not_json"),
    ("infinity-number", b'{"result": {"slot": 1e400}}', "not_json"),
    ("trailing-garbage", notification() + b"}", "not_json"),
    ("two-documents", notification() + b"\n" + notification(), "not_json"),
    ("empty-object", b"{}", NOT_TX),
    ("subscribe-request", b'{"jsonrpc":"2.0","id":1,"method":"logsSubscribe","params":[]}', NOT_TX),
    ("ack", b'{"jsonrpc":"2.0","result":23784,"id":1}', NOT_TX),
    ("unsubscribe-ack", b'{"jsonrpc":"2.0","result":true,"id":1}', NOT_TX),
    ("result-list", b'{"jsonrpc":"2.0","result":[],"id":1}', NOT_TX),
    ("result-string", b'{"jsonrpc":"2.0","result":"x","id":1}', NOT_TX),
    ("get-transaction-null", b'{"jsonrpc":"2.0","result":null,"id":1}', "empty_result"),
    (
        "rpc-error",
        b'{"jsonrpc":"2.0","error":{"code":-32005,"message":"busy"},"id":1}',
        "rpc_error",
    ),
    ("rpc-error-odd", b'{"error":[[[[1]]]]}', "rpc_error"),
    ("account-info-result", b'{"result":{"context":{"slot":1},"value":{"lamports":5}}}', NOT_TX),
    ("program-accounts-result", b'{"result":{"context":{"slot":1},"value":[]}}', NOT_TX),
    ("bare-value-null", b'{"value":null}', NOT_TX),
    ("method-not-a-string", b'{"method":{"a":1}}', NOT_TX),
    ("pumpportal-like", b'{"signature":"abc","mint":"x","txType":"create"}', NOT_TX),
    # logsNotification fields
    ("logs-not-a-list", notification(logs="Program log: hi"), "bad_field"),
    ("logs-object", notification(logs={"0": "x"}), "bad_field"),
    ("logs-null", notification(logs=None), "missing_field"),
    ("logs-absent", without("logs"), "missing_field"),
    ("logs-with-int", notification(logs=["Program log: a", 3]), "bad_field"),
    ("logs-with-null", notification(logs=[None]), "bad_field"),
    ("logs-with-list", notification(logs=[["a"]]), "bad_field"),
    ("signature-int", notification(signature=12345), "bad_field"),
    ("signature-empty", notification(signature=""), "bad_field"),
    ("signature-huge", notification(signature="x" * 10_000), "bad_field"),
    ("signature-list", notification(signature=[SIGNATURE]), "bad_field"),
    ("signature-absent", without("signature"), "missing_field"),
    ("err-absent", without("err"), "missing_field"),
    ("value-null", logs_doc(b'{"result":{"value":null}}'), "missing_field"),
    ("value-string", logs_doc(b'{"result":{"value":"v"}}'), "bad_field"),
    ("value-empty", logs_doc(b'{"result":{"value":{}}}'), "missing_field"),
    ("params-absent", b'{"method":"logsNotification"}', "missing_field"),
    ("params-list", logs_doc(b"[1]"), "bad_field"),
    ("params-result-absent", logs_doc(b"{}"), "missing_field"),
    ("params-result-null", logs_doc(b'{"result":null}'), "empty_result"),
    ("params-result-number", logs_doc(b'{"result":3}'), "bad_field"),
    (
        "context-string",
        b'{"context":"c","value":{"signature":"s","err":null,"logs":[]}}',
        "bad_field",
    ),
    # slots
    ("slot-string", logs_notification(SIGNATURE, VOTE_LOGS, slot="284682639"), "bad_field"),
    ("slot-negative", logs_notification(SIGNATURE, VOTE_LOGS, slot=-1), "bad_field"),
    ("slot-float", logs_notification(SIGNATURE, VOTE_LOGS, slot=1.5), "bad_field"),
    ("slot-bool", logs_notification(SIGNATURE, VOTE_LOGS, slot=True), "bad_field"),
    ("slot-huge-int", logs_notification(SIGNATURE, VOTE_LOGS, slot=2**64 - 1), None),
    (
        "slot-beyond-u64",  # orjson reads it as a float
        notification().replace(b'"slot":5', b'"slot":100000000000000000000000'),
        "bad_field",
    ),
    # getTransaction
    ("get-transaction-ok", get_transaction(), None),
    ("get-transaction-no-slot", get_transaction(slot=None), None),
    ("get-transaction-meta-null", get_transaction(meta=None), "missing_field"),
    ("get-transaction-meta-list", get_transaction(meta=[]), "bad_field"),
    ("get-transaction-no-logs", get_transaction(meta={"err": None}), "missing_field"),
    ("get-transaction-no-err", get_transaction(meta={"logMessages": []}), "missing_field"),
    ("get-transaction-tx-null", get_transaction(transaction=None), "missing_field"),
    ("get-transaction-tx-number", get_transaction(transaction=5), "bad_field"),
    ("get-transaction-no-signatures", get_transaction(transaction={}), "missing_field"),
    (
        "get-transaction-signatures-empty",
        get_transaction(transaction={"signatures": []}),
        "bad_field",
    ),
    (
        "get-transaction-signature-int",
        get_transaction(transaction={"signatures": [5]}),
        "bad_field",
    ),
    ("base64-tx-garbage", get_transaction(transaction=["%%%%", "base64"]), "bad_field"),
    ("base64-tx-too-short", get_transaction(transaction=["AQID", "base64"]), "bad_field"),
    (
        "base64-tx-zero-signatures",
        get_transaction(transaction=[base64.b64encode(bytes(100)).decode(), "base64"]),
        "bad_field",
    ),
    ("tx-list-wrong-encoding", get_transaction(transaction=["abc", "base58"]), "bad_field"),
    # valid frames that hold no launch
    ("vote", notification(), None),
    ("failed-vote", notification(err={"InstructionError": [0, "Custom"]}), None),
    ("empty-logs", notification(logs=[]), None),
    ("extremely-long-line", notification(logs=["Program log: " + "A" * 2_000_000]), None),
    ("many-lines", notification(logs=["Program log: x"] * 50_000), None),
    (
        "duplicate-keys-last-wins",
        notification().replace(b'"err":null', b'"err":{"x":1},"err":null'),
        None,
    ),
    (
        "duplicate-method-last-wins",
        notification().replace(
            b'"method":"logsNotification"',
            b'"method":"logsNotification","method":"slotNotification"',
        ),
        NOT_TX,
    ),
    # launch logs with corrupt event data
    (
        "corrupt-base64-after-create",
        logs_notification(SIGNATURE, CORRUPT_EVENT_LOGS),
        "undecodable_event",
    ),
    # payloads that are not text at all
    ("payload-none", None, "not_json"),
    ("payload-int", 42, "not_json"),
    ("payload-list", [b"{}"], "not_json"),
]


@pytest.mark.parametrize(
    ("payload", "expected"), [(p, e) for _, p, e in BAD_FRAMES], ids=[i for i, _, _ in BAD_FRAMES]
)
def test_bad_frames(payload: Any, expected: str | None) -> None:
    outcome = decode_frame(frame(payload), DETECTED_AT)

    if expected is None:
        assert outcome is None
    else:
        assert isinstance(outcome, InvalidFrame), outcome
        assert outcome.reason == expected, outcome.detail
        assert outcome.arrived_at == ARRIVED_AT
        assert outcome.detail
        assert len(outcome.detail) <= 300


def test_invalid_reasons_are_few_fixed_snake_case_labels() -> None:
    assert INVALID_REASONS == (
        "not_json",
        "not_object",
        "rpc_error",
        "not_a_transaction",
        "empty_result",
        "missing_field",
        "bad_field",
        "undecodable_event",
        "internal_error",
    )


def test_invalid_payload_keeps_the_frame_text() -> None:
    outcome = decode_frame(frame(b'{"jsonrpc":"2.0","result":1,"id":1}'), DETECTED_AT)

    assert isinstance(outcome, InvalidFrame)
    assert outcome.payload == '{"jsonrpc":"2.0","result":1,"id":1}'


def test_invalid_bytes_payload_is_decoded_with_replacement() -> None:
    outcome = decode_frame(frame(b"\xff\xfe{oops"), DETECTED_AT)

    assert isinstance(outcome, InvalidFrame)
    assert outcome.payload == "\ufffd\ufffd{oops"


@pytest.mark.parametrize(
    "payload",
    [
        b"x" * (MAX_PAYLOAD_BYTES * 3),
        "x" * (MAX_PAYLOAD_BYTES * 3),
        "\u00e9" * MAX_PAYLOAD_BYTES,  # 2 bytes each
        "\U0001f600" * MAX_PAYLOAD_BYTES,  # 4 bytes each
        b"\xff" * MAX_PAYLOAD_BYTES * 2,  # each becomes a 3-byte U+FFFD
        "\ud800" * 10,  # lone surrogates cannot be written as UTF-8
    ],
    ids=[
        "ascii-bytes",
        "ascii-str",
        "2-byte-chars",
        "4-byte-chars",
        "undecodable-bytes",
        "surrogates",
    ],
)
def test_invalid_payload_is_cut_to_64_kib_of_utf8(payload: bytes | str) -> None:
    outcome = decode_frame(frame(payload), DETECTED_AT)

    assert isinstance(outcome, InvalidFrame)
    encoded = outcome.payload.encode("utf-8")  # must not raise
    assert len(encoded) <= MAX_PAYLOAD_BYTES
    assert len(encoded) >= MAX_PAYLOAD_BYTES - 3 or len(payload) < MAX_PAYLOAD_BYTES // 4
    outcome.dead_letter_line()  # serialisable


def test_a_frame_that_is_not_a_raw_frame_is_an_internal_error_not_a_crash() -> None:
    outcome = decode_frame(None, DETECTED_AT)  # type: ignore[arg-type]

    assert isinstance(outcome, InvalidFrame)
    assert outcome.reason == "internal_error"
    assert outcome.arrived_at == DETECTED_AT


def test_str_and_bytes_payloads_decode_alike() -> None:
    payload = fixture_bytes("pumpfun_create_legacy_getTransaction_2024-08.json")

    from_bytes = decode_frame(frame(payload), DETECTED_AT)
    from_str = decode_frame(frame(payload.decode()), DETECTED_AT)
    from_bytearray = decode_frame(frame(bytearray(payload)), DETECTED_AT)

    assert isinstance(from_bytes, Launch)
    assert from_bytes == from_str == from_bytearray


# --- properties: never raises, always one of the three outcomes ----------------------------------


def assert_well_formed(outcome: object) -> None:
    if outcome is None:
        return
    if isinstance(outcome, InvalidFrame):
        assert outcome.reason in INVALID_REASONS
        assert isinstance(outcome.detail, str)
        assert outcome.detail
        assert len(outcome.payload.encode("utf-8")) <= MAX_PAYLOAD_BYTES
        return
    assert isinstance(outcome, Launch), outcome
    assert isinstance(outcome.signature, str)
    assert outcome.signature
    assert outcome.launchpad in LAUNCHPADS
    assert outcome.slot is None or (type(outcome.slot) is int and outcome.slot >= 0)
    for text in (outcome.mint, outcome.creator, outcome.name, outcome.symbol, outcome.uri):
        assert text is None or isinstance(text, str)
    assert outcome.initial_buy_sol is None or outcome.initial_buy_sol >= 0
    assert outcome.detected_at == DETECTED_AT


def decode_any(payload: Any) -> None:
    outcome = decode_frame(RawFrame(payload, ARRIVED_AT), DETECTED_AT)
    assert_well_formed(outcome)
    if isinstance(outcome, InvalidFrame):
        assert outcome.reason != "internal_error", outcome.detail


SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=40,
)


@SETTINGS
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_raise(payload: bytes) -> None:
    decode_any(payload)


@SETTINGS
@given(st.text(max_size=2000))
def test_arbitrary_text_never_raises(payload: str) -> None:
    decode_any(payload)


@SETTINGS
@given(json_values)
def test_arbitrary_json_never_raises(value: Any) -> None:
    decode_any(orjson.dumps(value))


# Structured frames: logsNotification shells whose logs mix real marker lines, invoke/success
# lines of the launchpads and others, real and corrupt event data, random text and base64.
PROGRAMS = [PUMP_FUN, RAYDIUM_AMM_V4, PUMP_SWAP, ROUTER, TOKEN_PROGRAM, "x", ""]
MARKER_LINES = [
    "Program log: Instruction: Create",
    "Program log: Instruction: CreateV2",
    "Program log: Instruction: CreateTokenAccount",
    "Program log: Instruction: CreatePool",
    "Program log: Instruction: Buy",
    "Program log: Create",
    "Program log: initialize2: InitializeInstruction2 { nonce: 1, open_time: 0 }",
    "Program log: ray_log: AAAAAAAA",
    "Log truncated",
    "Program log: x success",
    "Program ",
    "Program  success",
    "Program  invoke [",
    "",
]
EVENTS = [create_event(), create_event(creator="1" * 32), trade_event(), create_pool_event()]


def _cut(data: bytes, fraction: float) -> bytes:
    return data[: int(len(data) * fraction)]


event_lines = st.one_of(
    st.builds(lambda event, f: data_line(_cut(event, f)), st.sampled_from(EVENTS), st.floats(0, 1)),
    st.sampled_from(EVENTS).map(data_line),
)
launch_lines = st.sampled_from(MARKER_LINES[:7])
log_lines = st.one_of(
    st.sampled_from(MARKER_LINES),
    st.builds(invoke, st.sampled_from(PROGRAMS), st.integers(1, 5)),
    st.builds(success, st.sampled_from(PROGRAMS)),
    st.sampled_from(PROGRAMS).map(lambda p: f"Program {p} failed: custom program error: 0x1"),
    event_lines,
    st.binary(max_size=120).map(data_line),
    st.text(max_size=40).map(lambda t: "Program data: " + t),
    st.text(max_size=60).map(lambda t: "Program log: " + t),
    st.text(max_size=60),
)
# A program's frame: its invoke line, some lines inside (often launch markers and events), and
# usually its success line, so that the invoke stack of the decoder has something to track.
frames_of_logs = st.builds(
    lambda program, depth, body, closed: [
        invoke(program, depth),
        *body,
        *([success(program)] if closed else []),
    ],
    st.sampled_from([PUMP_FUN, PUMP_FUN, RAYDIUM_AMM_V4, PUMP_SWAP, *PROGRAMS]),
    st.integers(1, 4),
    st.lists(st.one_of(launch_lines, event_lines, log_lines), max_size=6),
    st.booleans(),
)
# A launchpad's frame that opens with its launch line, then events and noise.
launchpad_frames = st.builds(
    lambda opening, depth, body, closed: [
        invoke(opening[0], depth),
        opening[1],
        *body,
        *([success(opening[0])] if closed else []),
    ],
    st.sampled_from(
        [
            (PUMP_FUN, "Program log: Instruction: Create"),
            (PUMP_FUN, "Program log: Instruction: CreateV2"),
            (PUMP_SWAP, "Program log: Instruction: CreatePool"),
            (RAYDIUM_AMM_V4, MARKER_LINES[6]),
        ]
    ),
    st.integers(1, 4),
    st.lists(st.one_of(event_lines, event_lines, log_lines), max_size=6),
    st.booleans(),
)
structured_logs = st.lists(
    launchpad_frames | frames_of_logs | log_lines.map(lambda line: [line]), max_size=12
).map(lambda parts: [line for part in parts for line in part])
errs = st.sampled_from([None, None, None, {"InstructionError": [0, {"Custom": 1}]}, "AccountInUse"])
slots = st.one_of(
    st.integers(0, 2**64 - 1), st.integers(0, 2**64 - 1), st.none(), st.text(max_size=3)
)


@SETTINGS
@given(structured_logs, errs, slots)
def test_structured_logs_notifications_never_raise(logs: list[str], err: Any, slot: Any) -> None:
    decode_any(logs_notification(SIGNATURE, logs, slot, err))


@SETTINGS
@given(st.lists(log_lines, max_size=10), st.lists(log_lines, max_size=10), st.integers(1, 3))
def test_real_launch_logs_wrapped_in_noise_never_raise(
    before: list[str], after: list[str], depth: int
) -> None:
    logs = [*before, *pump_create_logs(trade=trade_event(), depth=depth), *after]
    decode_any(logs_notification(SIGNATURE, logs, 9))


def _mutate(doc: Any, path: list[int], replacement: Any) -> Any:
    """Replace the node that `path` leads to (each step picks a child by index modulo size)."""
    if not path or not isinstance(doc, (dict, list)) or not doc:
        return replacement
    step, rest = path[0], path[1:]
    if isinstance(doc, dict):
        key = sorted(doc)[step % len(doc)]
        return {**doc, key: _mutate(doc[key], rest, replacement)}
    index = step % len(doc)
    return [*doc[:index], _mutate(doc[index], rest, replacement), *doc[index + 1 :]]


def _raydium_launch_frame() -> Any:
    # The FAILED sample with err cleared, so that mutations reach its Raydium account lookup.
    result = fixture_json(
        "raydium_amm_v4_initialize2_FAILED_RepeatCreateAmm_getTransaction_2024-04.json"
    )
    result["meta"]["err"] = None
    return result


REAL_FRAMES = [
    fixture_json("pumpfun_create_legacy_getTransaction_2024-08.json"),
    _raydium_launch_frame(),
    orjson.loads(fixture_lines("helius_transactionNotification_raydium_initialize2_one.jsonl")[0]),
    fixture_json("pumpfun_createv2_blockSubscribe_txentry_2026.json"),
]


@SETTINGS
@given(
    st.sampled_from(range(len(REAL_FRAMES))),
    st.lists(st.integers(0, 200), min_size=1, max_size=8),
    json_values,
)
def test_mutated_real_frames_never_raise(which: int, path: list[int], replacement: Any) -> None:
    decode_any(orjson.dumps(_mutate(REAL_FRAMES[which], path, replacement)))
