"""The detection step's prefilter changes nothing but the speed: every frame it dismisses is one
the full decoder would have ignored, and every count and outcome is the one frame-by-frame
decoding gives."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry

from benchmarks.frames import frames as benchmark_frames
from domain.metrics import Metrics
from domain.models import InvalidFrame, Launch, RawFrame
from operators.decode import ALL_LAUNCHPADS, decode_frame
from operators.detection import FrameCounter
from solwire.detect import Detector
from solwire.launchpads import BY_NAME
from tests.operators.test_decode_garbage import SETTINGS, errs, slots, structured_logs
from tests.solana_samples import (
    PUMP_FUN,
    RAYDIUM_AMM_V4,
    converted_fixtures,
    invoke,
    logs_notification,
    pump_create_logs,
    success,
    trade_event,
)

SIGNATURE = "5" * 88
NOW = 1_785_328_600.5
COUNTERS = ("sniffer_tx_seen_total", "sniffer_tx_ignored_total")


def one_by_one(payloads: list[Any], detector: Detector = ALL_LAUNCHPADS) -> list[Any]:
    outcomes = (decode_frame(RawFrame(p, 1.0, "t"), NOW, detector) for p in payloads)
    return [o for o in outcomes if o is not None]


def counted(payloads: list[Any], detector: Detector = ALL_LAUNCHPADS) -> tuple[list[Any], Metrics]:
    metrics = Metrics(CollectorRegistry())
    counter = FrameCounter(metrics, clock=lambda: NOW, detector=detector)
    return counter([RawFrame(p, 1.0, "t") for p in payloads]), metrics


def value(metrics: Metrics, name: str, labels: dict[str, str] | None = None) -> float:
    return metrics.registry.get_sample_value(name, labels or {}) or 0.0


def assert_same_as_one_by_one(payloads: list[Any], detector: Detector = ALL_LAUNCHPADS) -> None:
    expected = one_by_one(payloads, detector)
    got, metrics = counted(payloads, detector)
    assert got == expected
    invalid = [o for o in expected if isinstance(o, InvalidFrame)]
    assert value(metrics, "sniffer_tx_seen_total") == len(payloads) - (len(expected) - len(invalid))
    ignored = len(payloads) - len(expected)
    assert value(metrics, "sniffer_tx_ignored_total") == ignored
    for reason in {o.reason for o in invalid}:
        count = sum(o.reason == reason for o in invalid)
        assert value(metrics, "sniffer_tx_invalid_total", {"reason": reason}) == count


def test_real_format_frames_decode_as_they_did_one_by_one() -> None:
    payloads = list(benchmark_frames(400, launch_share=0.05, seed=3))
    assert_same_as_one_by_one(payloads)
    assert any(isinstance(o, Launch) for o in one_by_one(payloads))


def test_the_fixtures_decode_as_they_did_one_by_one() -> None:
    assert_same_as_one_by_one(list(converted_fixtures().values()))


@SETTINGS
@given(st.lists(st.tuples(structured_logs, errs, slots), max_size=6))
def test_any_chunk_of_logs_notifications_decodes_as_it_did_one_by_one(
    chunk: list[tuple[list[str], Any, Any]],
) -> None:
    payloads = [logs_notification(SIGNATURE, logs, slot, err) for logs, err, slot in chunk]
    assert_same_as_one_by_one(payloads)


def _edited(payload: bytes, at: float, cut: int, insert: bytes) -> bytes:
    position = int(at * len(payload))
    return payload[:position] + insert + payload[position + cut :]


FRAME = next(benchmark_frames(1, launch_share=0.0))
LAUNCH = logs_notification(SIGNATURE, pump_create_logs(trade=trade_event()), 7)


@SETTINGS
@given(
    st.sampled_from([FRAME, LAUNCH]),
    st.floats(0, 1),
    st.integers(0, 4),
    st.sampled_from([b"", b"\\", b'"', b",", b"1e400", b"\xff", b"\x01", b"null", b"[1]", b"{}"])
    | st.binary(max_size=4),
)
def test_a_damaged_frame_is_never_dismissed_unless_it_is_still_valid(
    payload: bytes, at: float, cut: int, insert: bytes
) -> None:
    assert_same_as_one_by_one([_edited(payload, at, cut, insert)])


def _with_value(**changes: Any) -> bytes:
    doc = orjson.loads(FRAME)
    doc["params"]["result"]["value"].update(changes)
    return orjson.dumps(doc)


ESCAPED_LAUNCH = LAUNCH.replace(b"Instruction: Create", b"Instruction: Cr\\u0065ate")


@pytest.mark.parametrize(
    ("payload", "kind"),
    [
        (FRAME, None),
        (ESCAPED_LAUNCH, Launch),  # a launch line spelled with an escape is still seen
        (FRAME.replace(b"Program", b"Progr\xffm", 1), "not_json"),
        (_with_value(err={"InstructionError": [0, {"Custom": 1}]}), None),
        (FRAME.replace(b'"err":null', b'"err":1e400'), "not_json"),
        (_with_value(logs=["a", 1]), "bad_field"),
        (_with_value(signature=""), "bad_field"),
        (_with_value(signature="x" * 129), "bad_field"),
        (FRAME.replace(b'"slot":', b'"slot":-', 1), "bad_field"),
        (FRAME.replace(b'"subscription":', b'"extra":1,"subscription":'), None),
        (FRAME + b" trailing", "not_json"),
        (FRAME.replace(b'"err":null', b'"err":null,"err":"Failed"'), None),
        (logs_notification(SIGNATURE, [], 1), None),
        (logs_notification(SIGNATURE, pump_create_logs(trade=trade_event()), 7, "x"), None),
    ],
)
def test_frames_the_prefilter_must_not_dismiss_as_valid(payload: bytes, kind: Any) -> None:
    [outcome] = one_by_one([payload]) or [None]
    if kind is None:
        assert outcome is None
    elif kind is Launch:
        assert isinstance(outcome, Launch)
    else:
        assert isinstance(outcome, InvalidFrame) and outcome.reason == kind
    assert_same_as_one_by_one([payload])


def test_a_launch_prefix_line_is_not_dismissed() -> None:
    # Raydium AMM v4's launch line is matched by its prefix, not as a whole line.
    logs = [
        invoke(RAYDIUM_AMM_V4),
        "Program log: initialize2: InitializeInstruction2 { nonce: 254, open_time: 0 }",
        success(RAYDIUM_AMM_V4),
    ]
    payloads = [logs_notification(SIGNATURE, logs, 3)]
    assert ALL_LAUNCHPADS.prefilter.sift(payloads) != []
    assert_same_as_one_by_one(payloads)


def test_a_restricted_detector_dismisses_the_launches_of_the_others() -> None:
    pump_only = Detector([BY_NAME["pump_fun"]])
    raydium_only = Detector([BY_NAME["raydium_amm_v4"]])
    payloads = [LAUNCH, FRAME]
    assert [at for at, _ in pump_only.prefilter.sift(payloads)] == [0]
    assert raydium_only.prefilter.sift(payloads) == []
    assert_same_as_one_by_one(payloads, pump_only)
    assert_same_as_one_by_one(payloads, raydium_only)


def test_a_payload_of_another_kind_goes_to_the_full_decoder() -> None:
    payloads: list[Any] = ["not bytes", bytearray(FRAME), None, FRAME]
    assert [at for at, _ in ALL_LAUNCHPADS.prefilter.sift(payloads)] == [0, 1, 2]
    assert_same_as_one_by_one(payloads)


def test_a_launch_frame_is_read_once_and_keeps_its_identity() -> None:
    [(at, tx)] = ALL_LAUNCHPADS.prefilter.sift([FRAME, LAUNCH])
    assert at == 1 and tx is not None
    assert (tx.signature, tx.slot, tx.failed) == (SIGNATURE, 7, False)
    assert PUMP_FUN in tx.log_text
