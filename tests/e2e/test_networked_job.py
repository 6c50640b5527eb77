"""The real job with its networked connectors, against real servers on loopback: frames in from
a Redis stream, candidates out to a Redis stream and to a webhook; both laws checked at the end.
The servers are the session's (`tests/conftest.py`); each test uses keys and topics of its own."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import pytest

from fakechain import generate_range
from tests.jobs import finish_job, finite_synthetic, run_job, start_job

if TYPE_CHECKING:
    from tests.connectors.http_server import HttpServer
    from tests.connectors.kafka_broker import TansuBroker
    from tests.connectors.redis_server import RedisServer

pytestmark = pytest.mark.e2e

SEED, TOTAL, RATIO = 3, 2000, 0.05


def expected_signatures() -> set[str]:
    return {tx.signature for tx in generate_range(SEED, TOTAL, RATIO) if tx.is_launch}


def synthetic(**extra: str) -> dict[str, str]:
    return {**finite_synthetic(TOTAL, RATIO, seed=SEED), **extra}


def test_redis_in_and_redis_out(redis_server: RedisServer) -> None:
    client = redis_server.client()
    client.delete("frames", "sniffer.candidates")
    for tx in generate_range(SEED, TOTAL, RATIO):
        client.xadd("frames", {"frame": tx.payload})
    client.xadd("frames", {"frame": b"garbage, counted invalid"})
    proc = start_job(
        {
            "SNIFFER_SOURCE": "redis",
            "SNIFFER_SOURCE_URL": redis_server.url,
            "SNIFFER_SOURCE_TOPIC": "frames",
            "SNIFFER_SINK": "redis",
            "SNIFFER_SINK_URL": redis_server.url,
        }
    )
    # A Redis stream never ends: stop the job (gracefully) once everything went through.
    wanted = len(expected_signatures())
    deadline = time.monotonic() + 120
    while client.xlen("sniffer.candidates") < wanted and time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    result = finish_job(proc)
    result.assert_conserved()
    assert result.snapshot["tx_seen"] == TOTAL + 1
    assert result.snapshot["tx_invalid"] == 1
    entries = client.xrange("sniffer.candidates")
    got = [orjson.loads(fields[b"candidate"]) for _id, fields in entries]
    assert {c["signature"] for c in got} == expected_signatures()
    assert {c["source"] for c in got} == {"redis"}


def test_webhook_out(http_server: HttpServer) -> None:
    earlier = len(http_server.requests)  # the server is the session's
    result = run_job(
        synthetic(
            SNIFFER_SINK="webhook",
            SNIFFER_SINK_URL=http_server.url(),
            SNIFFER_SINK_TOKEN="s3cret-token",
        )
    )
    result.assert_conserved()
    requests = http_server.requests[earlier:]
    posted = [c for r in requests for c in json.loads(r.body)]
    assert {c["signature"] for c in posted} == expected_signatures()
    assert all(r.headers["authorization"] == "Bearer s3cret-token" for r in requests)
    assert "s3cret-token" not in result.stderr


def test_solana_ws_in_with_a_dropped_connection(
    tmp_path: Path, ws_server: Callable[..., Any]
) -> None:
    """Real launch frames from a websocket server that drops the connection mid-stream: after
    the reconnect the rest arrives, the overlap's duplicate is removed, nothing crashes."""
    from tests.connectors.ws_frames import (
        CREATEV2_MINT,
        LEGACY_MINT,
        PUMP_CREATE_LEGACY,
        PUMP_CREATEV2,
        RAYDIUM_INIT_LOGS,
        VOTE_LOGS,
    )
    from tests.connectors.ws_server import Session

    async def scenario(session: Session) -> None:
        pump, raydium, _pump_swap = await session.subscribe(3)  # the default programs, in order
        if session.index == 0:
            await session.notify(PUMP_CREATEV2, pump)
            await session.notify(VOTE_LOGS, pump)
            session.abort()
            return
        await session.notify(PUMP_CREATEV2, pump)  # the overlap: delivered again
        await session.notify(PUMP_CREATE_LEGACY, pump)
        await session.notify(RAYDIUM_INIT_LOGS, raydium)
        await session.send(b"not json: counted invalid")
        await session.hold()

    server = ws_server(scenario)
    snapshot = tmp_path / "snapshot.json"
    proc = start_job(
        {
            "SNIFFER_SOURCE": "solana_ws",
            "SNIFFER_WS_URL": server.url + "?api-key=do-not-log-me-0123456789",
            "SNIFFER_WS_RECONNECT_INITIAL_S": "0.05",
            "SNIFFER_SNAPSHOT_PATH": str(snapshot),
            "SNIFFER_SNAPSHOT_INTERVAL_S": "0.05",
        }
    )
    # Stop once the job has taken in all six frames (the drain delivers what is in flight).
    deadline = time.monotonic() + 60
    while not (snapshot.exists() and orjson.loads(snapshot.read_bytes())["tx_seen"] == 6):
        assert time.monotonic() < deadline, f"the six frames never came in {server.errors}"
        assert proc.poll() is None
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    result = finish_job(proc)
    snap = result.assert_conserved()
    assert snap["tx_seen"] == 6
    assert snap["duplicates"] == 1
    assert snap["tx_invalid"] == 1
    assert snap["tx_ignored"] == 1
    mints = {c["mint"] for c in result.candidates}
    assert mints == {CREATEV2_MINT, LEGACY_MINT, None}  # the logs-only Raydium launch: no mint
    assert {c["source"] for c in result.candidates} == {"solana_ws"}
    assert "do-not-log-me-0123456789" not in result.stderr


def test_kafka_in_and_kafka_out(kafka_broker: TansuBroker) -> None:
    """Frames from a Kafka topic, candidates to another, through the real job and a real
    Kafka-compatible broker (Tansu)."""
    from confluent_kafka import Consumer, Producer

    from tests.connectors.kafka_broker import unique_topic

    broker = kafka_broker
    frames = broker.create_topic(unique_topic("frames"))
    candidates = broker.create_topic(unique_topic("candidates"))
    producer = Producer({"bootstrap.servers": broker.bootstrap})
    for tx in generate_range(SEED, TOTAL, RATIO):
        producer.produce(frames, tx.payload)
    producer.flush(30)

    proc = start_job(
        {
            "SNIFFER_SOURCE": "kafka",
            "SNIFFER_SOURCE_URL": broker.bootstrap,
            "SNIFFER_SOURCE_TOPIC": frames,
            "SNIFFER_SINK": "kafka",
            "SNIFFER_SINK_URL": broker.bootstrap,
            "SNIFFER_SINK_TOPIC": candidates,
        }
    )
    consumer = Consumer(
        {
            "bootstrap.servers": broker.bootstrap,
            "group.id": "e2e-reader",
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([candidates])
    got: dict[str, bytes | None] = {}
    sources: set[str] = set()
    deadline = time.monotonic() + 120
    wanted = expected_signatures()
    while set(got) != wanted and time.monotonic() < deadline:
        assert proc.poll() is None
        message = consumer.poll(0.2)
        if message is not None and message.error() is None:
            value = orjson.loads(message.value())
            got[value["signature"]] = message.key()
            sources.add(value["source"])
    consumer.close()
    proc.send_signal(signal.SIGTERM)
    result = finish_job(proc)
    result.assert_conserved()
    assert set(got) == wanted
    assert sources == {"kafka"}
    assert result.snapshot["tx_seen"] == TOTAL
