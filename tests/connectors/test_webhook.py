"""The `webhook` sink against a real HTTP server: the body, the token, what is retried and what
is not (through the real send path), timeouts, refused connections, threads, and secrets."""

from __future__ import annotations

import base64

import orjson
import pytest
from prometheus_client import CollectorRegistry

from connectors.webhook import WebhookTransport
from domain.metrics import Metrics
from domain.models import LOW, Batch, Candidate
from domain.transport import SendError
from operators.batch_sender import BatchSender
from tests.connectors.http_server import Answer, HttpServer
from tests.connectors.redis_server import free_port
from tests.factories import DeadLetters, make_batch, make_candidate, metric, send_from_two_threads
from tests.jobs import CANDIDATE_KEYS

TOKEN = "tok-9f8e7d6c5b4a39281706"


@pytest.fixture
def server(http_server: HttpServer) -> HttpServer:
    """The session's HTTP endpoint, with nothing seen and nothing scripted."""
    http_server.reset()
    return http_server


def candidates(ns: range, priority: str = "HIGH") -> list[Candidate]:
    return list(make_batch(ns, priority=priority).candidates)


def sender(
    transport: WebhookTransport, metrics: Metrics, dead: DeadLetters, retries: int = 3
) -> BatchSender:
    return BatchSender(transport, metrics, max_retries=retries, retry_delay_s=0.0, dead_letter=dead)


def test_a_batch_is_one_post_of_a_json_array_of_the_contract_objects(
    server: HttpServer,
) -> None:
    batch = make_batch(range(5))
    odd = make_candidate(9, priority=LOW, mint=None, name="Ünïcødé 🚀", initial_buy_sol=None)
    hook = WebhookTransport(server.url(), TOKEN, 5.0)
    hook.send(batch)
    hook.send(Batch(LOW, (odd,), opened_at=0.0))
    hook.close()

    first, second = server.requests
    assert first.method == "POST" and first.path == "/hook"
    assert first.headers["content-type"] == "application/json"
    assert first.headers["authorization"] == f"Bearer {TOKEN}"
    objects = orjson.loads(first.body)
    assert objects == [c.to_json() for c in batch.candidates]  # in batch order
    assert all(list(o) == CANDIDATE_KEYS for o in objects)
    assert first.body == b"[" + b",".join(c.json_line() for c in batch.candidates) + b"]"
    assert orjson.loads(second.body) == [odd.to_json()]


def test_close_closes_the_client_once_and_later_sends_are_refused(server: HttpServer) -> None:
    hook = WebhookTransport(server.url(), None, 5.0)
    hook.open()
    hook.send(make_batch(range(1)))
    assert not hook.closed
    hook.close()
    hook.close()  # idempotent: the send step and the process's exit both close it
    assert hook.closed
    with pytest.raises(SendError) as refused:
        hook.send(make_batch(range(1)))
    assert refused.value.retryable is False
    assert len(server.requests) == 1


def test_without_a_token_no_authorization_is_sent(server: HttpServer) -> None:
    hook = WebhookTransport(server.url(), None, 5.0)
    hook.send(make_batch(range(1)))
    hook.close()
    assert "authorization" not in server.requests[0].headers


def test_credentials_in_the_url_go_as_basic_auth(server: HttpServer) -> None:
    url = f"http://bot:pa55-word%40xyz@127.0.0.1:{server.port}/hook"  # %40 is "@"
    hook = WebhookTransport(url, None, 5.0)
    hook.send(make_batch(range(1)))
    server.script(Answer(401, body=b"denied", echo_authorization=True))
    with pytest.raises(SendError) as denied:
        hook.send(make_batch(range(1)))
    hook.close()
    expected = base64.b64encode(b"bot:pa55-word@xyz").decode()
    assert server.requests[0].headers["authorization"] == f"Basic {expected}"
    assert server.requests[0].path == "/hook"
    for text in (repr(hook), str(denied.value)):
        assert "pa55-word" not in text and expected not in text
    with pytest.raises(ValueError, match="give one of them") as both:
        WebhookTransport(url, TOKEN, 5.0)
    assert "pa55-word" not in str(both.value) and TOKEN not in str(both.value)


def test_5xx_is_retried_and_the_batch_delivered_once(server: HttpServer) -> None:
    server.script(500, 503)  # then 200
    metrics, dead = Metrics(CollectorRegistry()), DeadLetters()
    send = sender(WebhookTransport(server.url(), TOKEN, 5.0), metrics, dead)
    send.send("HIGH", candidates(range(4)))
    send.close()

    assert len(server.requests) == 3
    assert len({r.body for r in server.requests}) == 1  # the same batch each time
    assert metric(metrics, "sniffer_send_retries_total") == 2
    assert metric(metrics, "sniffer_candidates_sent_total", priority="HIGH") == 4
    assert metric(metrics, "sniffer_batches_sent_total", priority="HIGH") == 1
    assert metric(metrics, "sniffer_send_failures_total") == 0
    assert dead.lines == []


def test_5xx_until_the_retries_run_out_is_a_send_failure(server: HttpServer) -> None:
    server.script(500, 502, 500)
    metrics, dead = Metrics(CollectorRegistry()), DeadLetters()
    send = sender(WebhookTransport(server.url(), TOKEN, 5.0), metrics, dead, retries=2)
    send.send("HIGH", candidates(range(3)))
    send.close()
    assert len(server.requests) == 3
    assert metric(metrics, "sniffer_send_retries_total") == 2
    assert metric(metrics, "sniffer_send_failures_total") == 3
    reasons = {reason for reason, _ in dead.entries()}
    assert len(reasons) == 1
    assert reasons.pop().startswith("send_failed: webhook answered 500 Internal Server Error")


@pytest.mark.parametrize(
    ("status", "words"), [(400, "400 Bad Request"), (422, "422 Unprocessable Entity")]
)
def test_4xx_is_not_retried_and_counted_with_its_status(
    server: HttpServer, status: int, words: str
) -> None:
    server.script(Answer(status, body=b'{"error":"field slot is not a string"}'))
    metrics, dead = Metrics(CollectorRegistry()), DeadLetters()
    send = sender(WebhookTransport(server.url(), TOKEN, 5.0), metrics, dead)
    send.send("LOW", candidates(range(3), priority=LOW))
    send.close()

    assert len(server.requests) == 1  # not retried
    assert metric(metrics, "sniffer_send_retries_total") == 0
    assert metric(metrics, "sniffer_send_failures_total") == 3
    assert metric(metrics, "sniffer_candidates_sent_total", priority="LOW") == 0
    entries = dead.entries()
    assert [sig for _, sig in entries] == ["sig0", "sig1", "sig2"]
    for reason, _ in entries:
        assert reason.startswith(f"send_failed: webhook answered {words}")
        assert "field slot is not a string" in reason  # the start of the answer's body


@pytest.mark.parametrize(("status", "retryable"), [(408, True), (429, True), (307, False)])
def test_other_statuses(server: HttpServer, status: int, retryable: bool) -> None:
    server.script(status)
    hook = WebhookTransport(server.url(), TOKEN, 5.0)
    with pytest.raises(SendError) as failed:
        hook.send(make_batch(range(1)))
    hook.close()
    assert failed.value.retryable is retryable
    assert f"webhook answered {status} " in str(failed.value)


def test_a_timeout_is_retryable_and_the_next_send_goes_through(server: HttpServer) -> None:
    server.script(Answer(delay_s=30.0))  # far beyond the timeout; cut short when the test ends
    hook = WebhookTransport(server.url(), TOKEN, 0.3)
    with pytest.raises(SendError) as failed:
        hook.send(make_batch(range(2)))
    assert failed.value.retryable
    assert "timed out" in str(failed.value)

    hook.send(make_batch(range(2, 4)))  # a fresh connection, answered at once
    hook.close()
    assert len(server.requests) == 2


def test_connection_refused_is_retryable() -> None:
    hook = WebhookTransport(f"http://127.0.0.1:{free_port()}/hook", TOKEN, 1.0)
    with pytest.raises(SendError) as failed:
        hook.send(make_batch(range(1)))
    hook.close()
    assert failed.value.retryable
    assert "connection failed" in str(failed.value)
    assert TOKEN not in str(failed.value)


def test_one_keep_alive_connection_serves_every_batch(server: HttpServer) -> None:
    hook = WebhookTransport(server.url(), TOKEN, 5.0)
    for start in range(0, 50, 5):
        hook.send(make_batch(range(start, start + 5)))
    hook.close()
    assert len(server.requests) == 10
    assert len({r.client_port for r in server.requests}) == 1


def test_two_sender_threads_share_the_transport(server: HttpServer) -> None:
    hook = WebhookTransport(server.url(), TOKEN, 5.0)
    try:
        send_from_two_threads(hook.send, count=200, size=4, low_first=1000)
    finally:
        hook.close()

    received = [o for r in server.requests for o in orjson.loads(r.body)]
    high = [o["signature"] for o in received if o["priority"] == "HIGH"]
    low = [o["signature"] for o in received if o["priority"] == "LOW"]
    assert high == [f"sig{n}" for n in range(200)]  # each sender's order is kept
    assert low == [f"sig{n}" for n in range(1000, 1200)]
    assert len({r.client_port for r in server.requests}) <= 2  # kept alive, one per sender


def test_the_token_is_never_logged_nor_put_in_errors_or_repr(
    server: HttpServer, all_logs: pytest.LogCaptureFixture
) -> None:
    key = "qk-5566778899aabbccdd"
    url = server.url(f"/hook?key={key}")
    server.script(
        200,
        500,
        Answer(422, body=b'{"error":"bad"}', echo_authorization=True),  # echoes the token
    )
    metrics, dead = Metrics(CollectorRegistry()), DeadLetters()
    hook = WebhookTransport(url, TOKEN, 5.0)
    send = sender(hook, metrics, dead, retries=1)
    send.send("HIGH", candidates(range(2)))  # 200
    send.send("HIGH", candidates(range(2, 4)))  # 500, then the 422 that echoes the token
    assert server.requests[-1].headers["authorization"] == f"Bearer {TOKEN}"  # it was sent

    errors: list[str] = []
    server.script(Answer(delay_s=30.0))
    slow = WebhookTransport(url, TOKEN, 0.3)
    refused = WebhookTransport(f"http://127.0.0.1:{free_port()}/hook?key={key}", TOKEN, 1.0)
    for failing in (slow, refused):
        try:
            failing.send(make_batch(range(1)))
        except SendError as exc:
            errors.append(str(exc))
        failing.close()
    shown = [repr(hook), repr(slow), repr(refused)]
    send.close()

    assert metric(metrics, "sniffer_candidates_sent_total", priority="HIGH") == 2
    assert metric(metrics, "sniffer_send_failures_total") == 2
    assert len(errors) == 2  # the timeout and the refused connection
    reasons = [reason for reason, _ in dead.entries()]
    assert "you sent: Bearer ***" in reasons[0]  # the echo, scrubbed
    assert "HTTP Request: POST" in all_logs.text  # httpx logged its requests ...
    for text in [all_logs.text, *reasons, *errors, *shown]:
        assert TOKEN not in text
        assert key not in text  # ... with the URL's key masked


@pytest.mark.parametrize(
    "url", ["ftp://127.0.0.1/hook", "http:///hook", "http://127.0.0.1:notaport/hook", "hook"]
)
def test_an_unusable_url_fails_at_construction(url: str) -> None:
    with pytest.raises(ValueError) as bad:
        WebhookTransport(url, TOKEN, 1.0)
    assert TOKEN not in str(bad.value)
