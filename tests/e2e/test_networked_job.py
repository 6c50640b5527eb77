"""The real job with its networked connectors, against real servers on loopback: frames in from
a Redis stream, candidates out to a Redis stream and to a webhook; both laws checked at the end."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import orjson

from connectors.synthetic import generate_range
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
