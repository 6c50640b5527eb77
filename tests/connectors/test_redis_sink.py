"""The `redis` sink against a real redis-server: entries, trimming, errors, threads, secrets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from prometheus_client import CollectorRegistry

from connectors.redis_streams._client import CANDIDATE_FIELD
from connectors.redis_streams.sink import RedisStreamTransport
from domain.metrics import Metrics
from domain.models import LOW, Batch
from domain.transport import SendError
from operators.batch_sender import BatchSender
from tests.connectors.redis_server import RedisServer, free_port, start_redis
from tests.factories import (
    DeadLetters,
    make_batch,
    make_candidate,
    metric,
    send_from_two_threads,
    signatures,
)
from tests.jobs import CANDIDATE_KEYS

PASSWORD = "s3cret-Redis-pass-7781"
STREAM = "sniffer.candidates"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    server = start_redis(tmp_path / "redis", password=PASSWORD)
    yield server
    server.stop()


def transport(
    server: RedisServer, maxlen: int = 100_000, timeout_s: float = 5.0
) -> RedisStreamTransport:
    return RedisStreamTransport(server.url, STREAM, maxlen, timeout_s)


def stored(server: RedisServer, stream: str = STREAM) -> list[dict[str, object]]:
    """The candidates in the stream, oldest first, as the JSON objects a consumer reads."""
    client = server.client()
    try:
        entries = client.xrange(stream)
    finally:
        client.close()
    return [orjson.loads(fields[CANDIDATE_FIELD.encode()]) for _, fields in entries]


def test_each_candidate_is_one_entry_holding_the_contract_json_in_order(
    server: RedisServer,
) -> None:
    sink = transport(server)
    sink.send(make_batch(range(5)))
    sink.send(make_batch(range(5, 8), priority=LOW))
    sink.close()

    client = server.client()
    entries = client.xrange(STREAM)
    client.close()
    assert len(entries) == 8
    assert all(set(fields) == {b"candidate"} for _, fields in entries)
    objects = stored(server)
    assert [o["signature"] for o in objects] == [f"sig{n}" for n in range(8)]
    assert all(list(o) == CANDIDATE_KEYS for o in objects)
    assert [o["priority"] for o in objects] == ["HIGH"] * 5 + ["LOW"] * 3


def test_round_trip_what_is_read_back_equals_what_was_sent(server: RedisServer) -> None:
    candidates = [
        make_candidate(1),
        make_candidate(2, priority=LOW, score=0.1234, initial_buy_sol=None),
        make_candidate(3, mint=None, creator=None, name='Ünïcødé 🚀 "quoted"', symbol="$X\n"),
        make_candidate(4, slot=None, uri=None, name=None, symbol=None),
    ]
    sink = transport(server)
    sink.send(Batch("HIGH", tuple(candidates), opened_at=0.0))
    sink.close()

    client = server.client()
    raw = [fields[b"candidate"] for _, fields in client.xrange(STREAM)]
    client.close()
    assert raw == [c.json_line() for c in candidates]  # byte for byte the stdout line
    assert stored(server) == [c.to_json() for c in candidates]


def test_maxlen_trims_the_stream_approximately(server: RedisServer) -> None:
    maxlen = 50
    sink = transport(server, maxlen=maxlen)
    for start in range(0, 3000, 100):
        sink.send(make_batch(range(start, start + 100)))
    sink.close()

    client = server.client()
    length = client.xlen(STREAM)
    newest = client.xrevrange(STREAM, count=1)[0][1][b"candidate"]
    client.close()
    # `MAXLEN ~` trims whole macro nodes (100 entries each by default): never below maxlen,
    # at most about one node above it.
    assert maxlen <= length <= maxlen + 100
    assert orjson.loads(newest)["signature"] == "sig2999"


def test_server_down_is_retryable_and_the_sink_recovers_when_it_is_back(
    server: RedisServer,
) -> None:
    sink = transport(server, timeout_s=2.0)
    sink.send(make_batch(range(2)))

    server.stop()
    with pytest.raises(SendError) as failed:
        sink.send(make_batch(range(2, 4)))
    assert failed.value.retryable
    assert "connection failed" in str(failed.value)
    assert PASSWORD not in str(failed.value)

    server.start()  # same port, empty (no persistence)
    sink.send(make_batch(range(4, 6)))
    sink.close()
    assert [o["signature"] for o in stored(server)] == ["sig4", "sig5"]


def test_nothing_listening_is_retryable() -> None:
    sink = RedisStreamTransport(f"redis://:{PASSWORD}@127.0.0.1:{free_port()}/0", STREAM, 10, 1.0)
    with pytest.raises(SendError) as failed:
        sink.send(make_batch(range(1)))
    sink.close()
    assert failed.value.retryable
    assert PASSWORD not in str(failed.value)


def test_a_timeout_is_retryable(server: RedisServer) -> None:
    admin = server.client()
    admin.client_pause(10_000, all=False)  # writes wait: the XADDs get no answer in time
    try:
        sink = transport(server, timeout_s=0.3)
        with pytest.raises(SendError) as failed:
            sink.send(make_batch(range(3)))
        sink.close()
    finally:
        admin.client_unpause()
        admin.close()
    assert failed.value.retryable
    assert "timed out" in str(failed.value)


def test_wrongtype_is_not_retryable_and_quotes_the_reply_not_the_candidate(
    server: RedisServer,
) -> None:
    admin = server.client()
    admin.set(STREAM, "not a stream")
    admin.close()
    sink = transport(server)
    with pytest.raises(SendError) as failed:
        sink.send(make_batch(range(3)))
    sink.close()
    message = str(failed.value)
    assert not failed.value.retryable
    assert "WRONGTYPE" in message
    assert "sig0" not in message  # the pipeline's command (a whole candidate) is left out
    assert PASSWORD not in message


def test_a_wrong_password_is_not_retryable(server: RedisServer) -> None:
    url = server.url.replace(PASSWORD, "wrong-password-123")
    sink = RedisStreamTransport(url, STREAM, 10, 2.0)
    with pytest.raises(SendError) as failed:
        sink.send(make_batch(range(1)))
    sink.close()
    assert not failed.value.retryable
    assert "wrong-password-123" not in str(failed.value)


def test_two_threads_share_one_transport(server: RedisServer) -> None:
    sink = transport(server)
    try:
        send_from_two_threads(sink.send, count=2000, size=20, low_first=10_000)
    finally:
        sink.close()

    objects = stored(server)
    high = [o["signature"] for o in objects if o["priority"] == "HIGH"]
    low = [o["signature"] for o in objects if o["priority"] == "LOW"]
    assert high == [f"sig{n}" for n in range(2000)]  # each sender's order is kept
    assert low == [f"sig{n}" for n in range(10_000, 12_000)]


def test_the_send_path_retries_an_outage_and_not_a_wrongtype(server: RedisServer) -> None:
    metrics = Metrics(CollectorRegistry())
    dead = DeadLetters()
    sink = transport(server, timeout_s=2.0)
    sender = BatchSender(sink, metrics, max_retries=2, retry_delay_s=0.0, dead_letter=dead)

    sender.send("HIGH", list(make_batch(range(3)).candidates))
    assert metric(metrics, "sniffer_candidates_sent_total", priority="HIGH") == 3

    admin = server.client()
    admin.set("other", "x")
    admin.close()
    wrong = BatchSender(
        RedisStreamTransport(server.url, "other", 10, 2.0),
        metrics,
        max_retries=2,
        retry_delay_s=0.0,
        dead_letter=dead,
    )
    wrong.send("HIGH", list(make_batch(range(3, 5)).candidates))
    assert metric(metrics, "sniffer_send_retries_total") == 0  # not retried
    assert metric(metrics, "sniffer_send_failures_total") == 2

    server.stop()
    sender.send("LOW", list(make_batch(range(5, 9), priority=LOW).candidates))
    assert metric(metrics, "sniffer_send_retries_total") == 2  # retried, then given up
    assert metric(metrics, "sniffer_send_failures_total") == 6
    reasons = [reason for reason, _ in dead.entries()]
    assert all(r.startswith("send_failed: ") for r in reasons)
    assert "WRONGTYPE" in reasons[0] and "connection failed" in reasons[-1]
    assert all(PASSWORD not in r for r in reasons)
    assert [sig for _, sig in dead.entries()] == signatures(make_batch(range(3, 9)))
    sender.close()
    wrong.close()


def test_the_password_is_never_logged_nor_shown(
    server: RedisServer, all_logs: pytest.LogCaptureFixture
) -> None:
    metrics = Metrics(CollectorRegistry())
    sink = transport(server, timeout_s=1.0)
    sender = BatchSender(sink, metrics, max_retries=1, retry_delay_s=0.0)
    sender.send("HIGH", list(make_batch(range(2)).candidates))
    server.stop()
    sender.send("HIGH", list(make_batch(range(2, 4)).candidates))  # logs the failure
    assert metric(metrics, "sniffer_send_failures_total") == 2
    assert PASSWORD not in repr(sink)
    assert "127.0.0.1" in repr(sink)
    sender.close()
    assert all_logs.records  # the failure was logged ...
    assert PASSWORD not in all_logs.text  # ... without the password


def test_a_bad_url_fails_at_construction_without_the_password() -> None:
    with pytest.raises(ValueError) as bad:
        RedisStreamTransport(f"redis://:{PASSWORD}@127.0.0.1:notaport/0", STREAM, 10, 1.0)
    assert PASSWORD not in str(bad.value)
    with pytest.raises(ValueError):
        RedisStreamTransport(f"http://:{PASSWORD}@127.0.0.1:6379/0", STREAM, 10, 1.0)
