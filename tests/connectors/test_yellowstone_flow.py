"""The yellowstone source inside a real Bytewax dataflow and inside the real job: the server's
real transactions become the right candidates; record mode writes them in the format the replay
source plays back to the same candidates; a refused token ends the job with exit 2 and one line."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import bytewax.operators as op
import grpc
import orjson
import pytest
from bytewax.dataflow import Dataflow
from bytewax.testing import TestingSink
from prometheus_client import CollectorRegistry

from connectors.yellowstone.source import YellowstoneSource
from domain.metrics import Metrics
from domain.models import InvalidFrame, Launch
from domain.shutdown import Shutdown
from flows.stoppable import StoppableSource
from operators.decode import decode_frame
from tests.connectors.test_yellowstone import MINTS, TOKEN, UPDATES, settings, stream_all
from tests.connectors.yellowstone_server import Session, YellowstoneServer
from tests.jobs import EntryPoint, finish_job, run_job, start_job, wait_for_lines
from tests.real_txs import as_bare_result, get_transaction_result, manifest
from tests.waiting import wait_for


def test_the_source_in_a_dataflow_until_shutdown(entry_point: EntryPoint) -> None:
    out: list[Launch | InvalidFrame | None] = []
    shutdown = Shutdown()
    with YellowstoneServer(stream_all) as server:
        source = YellowstoneSource(settings(server.url), Metrics(CollectorRegistry()))
        flow = Dataflow("yellowstone_test")
        frames = op.input("in", flow, StoppableSource(source, shutdown))
        decoded = op.map("decode", frames, lambda f: decode_frame(f, time.time()))
        op.output("out", decoded, TestingSink(out))

        def stop_when_everything_arrived() -> None:
            try:
                wait_for(lambda: len(out) >= len(UPDATES), "the updates to pass the dataflow")
            finally:
                shutdown.request()

        watcher = threading.Thread(target=stop_when_everything_arrived, daemon=True)
        watcher.start()
        entry_point(flow)
        watcher.join(5)
        assert len(server.sessions) == 1  # one partition: one subscription, whatever the workers
    (part,) = source.partitions
    assert not part.running
    assert sorted(item.mint for item in out if isinstance(item, Launch)) == sorted(MINTS)
    assert not any(isinstance(item, InvalidFrame) for item in out)


def job_settings(url: str, **fields: str) -> dict[str, str]:
    values = {
        "SNIFFER_SOURCE": "yellowstone",
        "SNIFFER_GRPC_URL": url,
        "SNIFFER_GRPC_TOKEN": TOKEN,
        "SNIFFER_LOG_LEVEL": "INFO",
    }
    values.update({f"SNIFFER_{name.upper()}": value for name, value in fields.items()})
    return values


@pytest.mark.e2e
def test_the_job_finds_the_launches_and_records_what_replays_to_the_same(tmp_path: Path) -> None:
    out, recording = tmp_path / "candidates.jsonl", tmp_path / "frames.jsonl"
    with YellowstoneServer(stream_all) as server:
        proc = start_job(
            job_settings(server.url, sink="jsonl", sink_path=str(out), record_path=str(recording))
        )
        try:
            wait_for_lines(out, len(MINTS), proc)
            wait_for_lines(recording, len(UPDATES), proc)
        finally:
            proc.send_signal(signal.SIGTERM)
        live = finish_job(proc)
        assert server.sessions[0].metadata["x-token"] == TOKEN
    assert live.returncode == 0, live.stderr[-3000:]
    assert TOKEN not in live.stderr
    candidates = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert sorted(c["mint"] for c in candidates) == sorted(MINTS)
    assert {c["source"] for c in candidates} == {"yellowstone"}

    replayed_out = tmp_path / "replayed.jsonl"
    replay = run_job(
        {
            "SNIFFER_SOURCE": "replay",
            "SNIFFER_REPLAY_PATH": str(recording),
            "SNIFFER_SINK": "jsonl",
            "SNIFFER_SINK_PATH": str(replayed_out),
        }
    )
    assert replay.returncode == 0, replay.stderr[-3000:]
    assert replay.snapshot["tx_invalid"] == 0
    again = [orjson.loads(line) for line in replayed_out.read_bytes().splitlines()]

    def identity(candidate: dict[str, object]) -> tuple[object, ...]:
        return (candidate["signature"], candidate["mint"], candidate["launchpad"])

    assert sorted(map(identity, again)) == sorted(map(identity, candidates))


@pytest.mark.e2e
def test_a_refused_token_ends_the_job_with_exit_2_and_one_line() -> None:
    def refuse(session: Session) -> None:
        session.abort(grpc.StatusCode.UNAUTHENTICATED, "invalid token")

    with YellowstoneServer(refuse) as server:
        result = run_job(job_settings(server.url, log_level="WARNING"), timeout=60)
        assert len(server.sessions) == 1
    assert result.returncode == 2, result.stderr[-3000:]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert "refused the token" in lines[0] and "UNAUTHENTICATED" in lines[0]
    assert TOKEN not in result.stderr


@pytest.mark.e2e
def test_yellowstone_beside_another_source_gives_each_launch_once(tmp_path: Path) -> None:
    # The same real transactions from a replay file (getTransaction results) and from the gRPC
    # stream: every launch is a candidate once, credited to whichever source delivered it first.
    recording, out = tmp_path / "same.jsonl", tmp_path / "candidates.jsonl"
    recording.write_bytes(
        b"".join(as_bare_result(get_transaction_result(e)) + b"\n" for e in manifest().values())
    )
    with YellowstoneServer(stream_all) as server:
        proc = start_job(
            job_settings(
                server.url,
                source="replay,yellowstone",
                replay_path=str(recording),
                sink="jsonl",
                sink_path=str(out),
            )
        )
        try:
            wait_for_lines(out, len(MINTS), proc)
            wait_for(lambda: server.sessions, "the subscription")
            wait_for(lambda: server.sessions[0].sent >= len(UPDATES), "the stream to be sent")
        finally:
            proc.send_signal(signal.SIGTERM)
        result = finish_job(proc)
    assert result.returncode == 0, result.stderr[-3000:]
    candidates = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert sorted(c["mint"] for c in candidates) == sorted(MINTS)
    assert {c["source"] for c in candidates} <= {"replay", "yellowstone"}
    assert result.snapshot["duplicates"] <= len(MINTS)  # the later copies, never a candidate
