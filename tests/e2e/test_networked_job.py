"""The real job with its networked connectors, against real servers on loopback: frames in from
a Redis stream, candidates out to a Redis stream and to a webhook; both laws checked at the end."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import orjson

from fakechain import generate_range
from tests.connectors.http_server import HttpServer
from tests.connectors.redis_server import start_redis
from tests.jobs import finish_job, run_job, start_job

SEED, TOTAL, RATIO = 3, 2000, 0.05


def expected_signatures() -> set[str]:
    return {tx.signature for tx in generate_range(SEED, TOTAL, RATIO) if tx.is_launch}


def synthetic(**extra: str) -> dict[str, str]:
    return {
        "SNIFFER_SYNTHETIC_TOTAL": str(TOTAL),
        "SNIFFER_SYNTHETIC_RATE": "0",
        "SNIFFER_SYNTHETIC_SEED": str(SEED),
        "SNIFFER_SYNTHETIC_LAUNCH_RATIO": str(RATIO),
        **extra,
    }


def test_redis_in_and_redis_out(tmp_path: Path) -> None:
    server = start_redis(tmp_path)
    try:
        client = server.client()
        for tx in generate_range(SEED, TOTAL, RATIO):
            client.xadd("frames", {"frame": tx.payload})
        client.xadd("frames", {"frame": b"garbage, counted invalid"})
        proc = start_job(
            {
                "SNIFFER_SOURCE": "redis",
                "SNIFFER_SOURCE_URL": server.url,
                "SNIFFER_SOURCE_TOPIC": "frames",
                "SNIFFER_SINK": "redis",
                "SNIFFER_SINK_URL": server.url,
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
        assert result.returncode == 0, result.stderr[-2000:]
        result.assert_conserved()
        assert result.snapshot["tx_seen"] == TOTAL + 1
        assert result.snapshot["tx_invalid"] == 1
        entries = client.xrange("sniffer.candidates")
        got = [orjson.loads(fields[b"candidate"]) for _id, fields in entries]
        assert {c["signature"] for c in got} == expected_signatures()
    finally:
        server.stop()


def test_webhook_out() -> None:
    with HttpServer() as hook:
        result = run_job(
            synthetic(
                SNIFFER_SINK="webhook",
                SNIFFER_SINK_URL=hook.url(),
                SNIFFER_SINK_TOKEN="s3cret-token",
            )
        )
        assert result.returncode == 0, result.stderr[-2000:]
        result.assert_conserved()
        posted = [c for r in hook.requests for c in json.loads(r.body)]
        assert {c["signature"] for c in posted} == expected_signatures()
        assert all(r.headers["authorization"] == "Bearer s3cret-token" for r in hook.requests)
        assert "s3cret-token" not in result.stderr


def test_solana_ws_in_with_a_dropped_connection() -> None:
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
    from tests.connectors.ws_server import Session, SolanaWsServer

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

    with SolanaWsServer(scenario) as server:
        proc = start_job(
            {
                "SNIFFER_SOURCE": "solana_ws",
                "SNIFFER_WS_URL": server.url + "?api-key=do-not-log-me-0123456789",
                "SNIFFER_WS_RECONNECT_INITIAL_S": "0.05",
            }
        )
        deadline = time.monotonic() + 60
        while len(server.sessions) < 2 or len(server.sessions[1].sent) < 4:
            assert time.monotonic() < deadline, f"the source never reconnected {server.errors}"
            assert proc.poll() is None
            time.sleep(0.05)
        time.sleep(0.5)  # let the last frames through the dataflow before asking it to stop
        proc.send_signal(signal.SIGTERM)
        result = finish_job(proc)
    assert result.returncode == 0, result.stderr[-2000:]
    result.assert_conserved()
    snap = result.snapshot
    assert snap["tx_seen"] == 6
    assert snap["duplicates"] == 1
    assert snap["tx_invalid"] == 1
    assert snap["tx_ignored"] == 1
    mints = {c["mint"] for c in result.candidates}
    assert mints == {CREATEV2_MINT, LEGACY_MINT, None}  # the logs-only Raydium launch: no mint
    assert "do-not-log-me-0123456789" not in result.stderr


def test_kafka_in_and_kafka_out() -> None:
    """Frames from a Kafka topic, candidates to another, through the real job and a real
    Kafka-compatible broker (Tansu)."""
    from confluent_kafka import Consumer, Producer

    from tests.connectors.kafka_broker import TansuBroker

    with TansuBroker() as broker:
        frames = broker.create_topic("frames")
        candidates = broker.create_topic("candidates")
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
        deadline = time.monotonic() + 120
        wanted = expected_signatures()
        while set(got) != wanted and time.monotonic() < deadline:
            assert proc.poll() is None
            message = consumer.poll(0.2)
            if message is not None and message.error() is None:
                value = orjson.loads(message.value())
                got[value["signature"]] = message.key()
        consumer.close()
        proc.send_signal(signal.SIGTERM)
        result = finish_job(proc)
    assert result.returncode == 0, result.stderr[-2000:]
    result.assert_conserved()
    assert set(got) == wanted
    assert result.snapshot["tx_seen"] == TOTAL
