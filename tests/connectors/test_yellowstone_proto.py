"""The yellowstone source's protocol pieces: the committed stubs are what the proto generates, and
a real transaction survives both ways into the project's model (protobuf -> Transaction for the
live path; canonical JSON -> read_frame for record mode and replay) with the same launch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from google.protobuf import json_format
from prometheus_client import CollectorRegistry

from connectors.recorder import as_line
from connectors.yellowstone import geyser_pb2 as pb
from connectors.yellowstone.convert import transaction_of
from domain.metrics import Metrics
from domain.models import InvalidFrame, Launch, RawFrame
from operators.decode import decode_frame
from operators.detection import MENTION_SAMPLE, FrameCounter
from solwire.frames import read_frame
from solwire.instructions import json_loader
from tests.connectors.yellowstone_server import update_of
from tests.real_txs import get_transaction_result, manifest

ROOT = Path(__file__).resolve().parents[2]
GENERATED = ("geyser_pb2.py", "geyser_pb2.pyi", "geyser_pb2_grpc.py")
SAMPLES = sorted(manifest().values(), key=lambda entry: entry["file"])


def test_the_committed_stubs_are_what_the_proto_generates(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            "-I",
            ".",
            f"--python_out={tmp_path}",
            f"--pyi_out={tmp_path}",
            f"--grpc_python_out={tmp_path}",
            "connectors/yellowstone/geyser.proto",
        ],
        cwd=ROOT,
        check=True,
    )
    for name in GENERATED:
        fresh = (tmp_path / "connectors" / "yellowstone" / name).read_text()
        committed = (ROOT / "connectors" / "yellowstone" / name).read_text()
        assert fresh == committed, f"{name} is stale: regenerate it (see geyser.proto)"


def test_the_wire_numbers_the_source_relies_on() -> None:
    # The numbers of rpcpool/yellowstone-grpc's geyser.proto / solana-storage.proto: a slip here
    # would parse a real server's stream into nonsense without any error.
    def numbers(message: type) -> dict[str, int]:
        return {f.name: f.number for f in message.DESCRIPTOR.fields}  # type: ignore[attr-defined]

    assert numbers(pb.SubscribeRequest) == {
        "transactions": 3,
        "commitment": 6,
        "ping": 9,
        "from_slot": 11,
    }
    assert numbers(pb.SubscribeUpdate) == {
        "filters": 1,
        "slot": 3,
        "transaction": 4,
        "ping": 6,
        "pong": 9,
        "created_at": 11,
    }
    assert numbers(pb.SubscribeUpdateTransactionInfo) == {
        "signature": 1,
        "is_vote": 2,
        "transaction": 3,
        "meta": 4,
        "index": 5,
    }
    meta = numbers(pb.TransactionStatusMeta)
    assert {k: meta[k] for k in ("err", "inner_instructions", "log_messages")} == {
        "err": 1,
        "inner_instructions": 5,
        "log_messages": 6,
    }
    assert (meta["log_messages_none"], meta["loaded_writable_addresses"]) == (11, 12)
    assert meta["loaded_readonly_addresses"] == 13
    assert numbers(pb.InnerInstruction)["stack_height"] == 4
    assert pb.CommitmentLevel.Value("FINALIZED") == 2


@pytest.mark.parametrize("entry", SAMPLES, ids=lambda entry: entry["file"][:12])
def test_a_streamed_transaction_is_the_getTransaction_one(entry: dict[str, object]) -> None:
    result = get_transaction_result(entry)
    tx = transaction_of(update_of(result))
    assert tx is not None
    assert tx.signature == result["transaction"]["signatures"][0]
    assert tx.slot == result["slot"]
    assert tx.failed is (result["meta"]["err"] is not None)
    assert tx.logs == result["meta"]["logMessages"]
    keys, instructions = json_loader(result["transaction"]["message"], result["meta"])()
    assert tx.account_keys() == keys

    def shape(ixs: list) -> list:  # type: ignore[type-arg]
        return [(i.program, list(i.accounts), i.data, i.depth) for i in ixs]

    assert shape(tx.instructions() or []) == shape(instructions)


@pytest.mark.parametrize("entry", SAMPLES, ids=lambda entry: entry["file"][:12])
def test_a_recorded_update_replays_to_the_same_launch(entry: dict[str, object]) -> None:
    update = update_of(get_transaction_result(entry))
    live = transaction_of(update)
    assert live is not None
    line = as_line(live)  # what record mode writes
    assert b"\n" not in line
    assert line == json_format.MessageToJson(update, indent=None).encode()
    replayed = read_frame(line)
    assert (replayed.signature, replayed.slot, replayed.failed, replayed.logs) == (
        live.signature,
        live.slot,
        live.failed,
        live.logs,
    )
    assert replayed.account_keys() == live.account_keys()
    a = decode_frame(RawFrame(live, 1.0, "yellowstone"), 2.0)
    b = decode_frame(RawFrame(line, 1.0, "replay"), 2.0)
    if entry["failed"]:
        assert a is None and b is None
    if isinstance(a, Launch):
        assert isinstance(b, Launch)
        assert (a.mint, a.launchpad, a.creator) == (b.mint, b.launchpad, b.creator)
        assert a.mint == entry["mint"]


def test_canonical_json_with_proto_names_and_defaults_left_out() -> None:
    entry = next(e for e in SAMPLES if e["launchpad"] == "pump_fun" and not e["failed"])
    update = update_of(get_transaction_result(entry))
    text = json_format.MessageToJson(update, preserving_proto_field_name=True, indent=None)
    tx = read_frame(text)
    found = decode_frame(RawFrame(text, 1.0), 2.0)
    assert tx.signature == transaction_of(update).signature  # type: ignore[union-attr]
    assert isinstance(found, Launch) and found.mint == entry["mint"]


def test_a_malformed_update_is_an_invalid_frame_with_a_reason() -> None:
    signature = b"A" * 86 + b"=="  # 64 bytes of base64
    no_meta = b'{"transaction": {"transaction": {"signature": "' + signature + b'"}, "slot": "5"}}'
    bad_signature = b'{"transaction": {"transaction": {"signature": "abc", "meta": {}}}}'
    assert decode_frame(RawFrame(no_meta, 1.0), 2.0).reason == "missing_field"  # type: ignore[union-attr]
    assert decode_frame(RawFrame(bad_signature, 1.0), 2.0).reason == "bad_field"  # type: ignore[union-attr]
    ping = b'{"filters": ["launchpads"], "ping": {}}'
    assert decode_frame(RawFrame(ping, 1.0), 2.0).reason == "not_a_transaction"  # type: ignore[union-attr]


def test_an_invalid_streamed_transaction_keeps_its_json_for_the_dead_letter() -> None:
    entry = next(e for e in SAMPLES if e["launchpad"] == "pump_fun" and not e["failed"])
    update = update_of(get_transaction_result(entry))
    tx = transaction_of(update)
    assert tx is not None

    def broken() -> tuple[list[str], list[object]]:
        raise RuntimeError("a bug while reading the instructions")

    tx.loader = broken  # type: ignore[assignment]
    invalid = decode_frame(RawFrame(tx, 1.0, "yellowstone"), 2.0)
    assert isinstance(invalid, InvalidFrame) and invalid.reason == "internal_error"
    assert invalid.payload == json_format.MessageToJson(update, indent=None)
    assert read_frame(invalid.payload).signature == tx.signature  # it replays


def test_streamed_transactions_count_in_the_launchpad_frames_series() -> None:
    # The detection step estimates each launchpad's traffic from every 8th frame's text; a
    # streamed transaction has no text, its logs stand in.
    entry = next(e for e in SAMPLES if e["launchpad"] == "pump_fun" and not e["failed"])
    live = transaction_of(update_of(get_transaction_result(entry)))
    metrics = Metrics(CollectorRegistry())
    counter = FrameCounter(metrics)
    counter([RawFrame(live, 1.0, "yellowstone")] * MENTION_SAMPLE)  # type: ignore[list-item]
    seen = metrics.registry.get_sample_value(
        "sniffer_launchpad_frames_total", {"launchpad": "pump_fun"}
    )
    assert seen == MENTION_SAMPLE


def test_an_index_that_points_nowhere_is_an_unknown_key_never_another() -> None:
    update = update_of(get_transaction_result(SAMPLES[0]))
    message = update.transaction.transaction.transaction.message
    meta = update.transaction.transaction.meta
    count = len(message.account_keys) + len(meta.loaded_writable_addresses)
    count += len(meta.loaded_readonly_addresses)
    message.instructions[0].program_id_index = count + 7
    message.instructions[0].accounts = bytes([0, count, 255])
    message.account_keys[1] = b"\x01\x02"  # not a 32-byte key
    for tx in (transaction_of(update), read_frame(json_format.MessageToJson(update))):
        assert tx is not None
        keys = tx.account_keys() or []
        assert keys[1] == "" and len(keys) == count
        first = (tx.instructions() or [])[0]
        assert first.program == ""
        assert list(first.accounts) == [keys[0], "", ""]
