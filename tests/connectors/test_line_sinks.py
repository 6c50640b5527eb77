"""stdout / jsonl / null transports and the dead-letter file: what they write, and that they
open late and close once."""

from __future__ import annotations

import io
from pathlib import Path

import orjson
import pytest
from prometheus_client import CollectorRegistry

from connectors.dead_letter import DeadLetterFile
from connectors.line_sinks import JsonlFileTransport, NullTransport, StdoutTransport
from domain.metrics import Metrics
from tests.factories import make_batch, run_threads
from tests.jobs import CANDIDATE_KEYS


def test_stdout_writes_one_contract_line_per_candidate() -> None:
    stream = io.BytesIO()
    StdoutTransport(stream).send(make_batch(range(3)))
    lines = stream.getvalue().decode().splitlines()
    assert len(lines) == 3
    first = orjson.loads(lines[0])
    assert list(first) == CANDIDATE_KEYS
    assert first["mint"] == "mint0" and first["priority"] == "HIGH"
    assert first["detected_at"].endswith("Z")


def test_jsonl_appends_and_lines_never_interleave(tmp_path: Path) -> None:
    path = tmp_path / "out" / "candidates.jsonl"
    transport = JsonlFileTransport(path)

    def send_many(base: int) -> None:
        for i in range(50):
            transport.send(make_batch(range(base + i * 10, base + i * 10 + 10)))

    run_threads(send_many, [(k * 100_000,) for k in range(4)])
    transport.close()
    lines = path.read_text().splitlines()
    assert len(lines) == 4 * 50 * 10
    assert len({orjson.loads(line)["signature"] for line in lines}) == len(lines)


def test_null_writes_nothing_anywhere(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    null = NullTransport()
    null.open()
    for _ in range(3):
        null.send(make_batch(range(5)))
    null.close()
    null.close()
    assert capsysbinary.readouterr() == (b"", b"")
    assert list(tmp_path.iterdir()) == []


def test_jsonl_opens_at_open_keeps_position_and_closes_once(tmp_path: Path) -> None:
    path = tmp_path / "out" / "candidates.jsonl"
    transport = JsonlFileTransport(path)
    assert not path.exists()  # nothing is opened by the constructor
    transport.open()
    assert path.exists() and transport.position() == 0
    transport.send(make_batch(range(2)))
    kept = transport.position()
    transport.send(make_batch(range(2, 4)))
    transport.truncate_to(kept)  # what a resumed run does before delivering again
    transport.close()
    transport.close()
    assert transport.closed
    assert [orjson.loads(line)["mint"] for line in path.read_text().splitlines()] == [
        "mint0",
        "mint1",
    ]


def test_dead_letter_file_appends_reasoned_lines(tmp_path: Path) -> None:
    metrics = Metrics(CollectorRegistry())
    dead = DeadLetterFile(tmp_path / "dead.jsonl", metrics)
    batch = make_batch(range(2))
    dead.append([c.dead_letter_line("send_failed: boom") for c in batch.candidates])
    dead.close()
    dead.close()
    assert dead.closed
    records = [orjson.loads(line) for line in (tmp_path / "dead.jsonl").read_text().splitlines()]
    assert [r["reason"] for r in records] == ["send_failed: boom"] * 2
    assert records[0]["candidate"]["mint"] == "mint0"
    assert metrics.dead_letters._value.get() == 2
