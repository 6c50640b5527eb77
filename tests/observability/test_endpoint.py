"""The metrics endpoint in-process: /metrics is Prometheus text that holds what was counted
(OpenMetrics when the Accept header asks for it, gzip when Accept-Encoding allows), /snapshot the
contract's JSON, anything else 404; nothing listens before `start()` or after `close()`."""

from __future__ import annotations

import gzip
import urllib.error
import urllib.request
from collections.abc import Iterator

import orjson
import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as openmetrics_families,
)
from prometheus_client.parser import text_string_to_metric_families

from domain.metrics import SNAPSHOT_KEYS, Metrics
from observability import MetricsEndpoint
from tests.deploy.support import free_port, http_get, is_number

#: Loopback only: never through an HTTP proxy the environment may name.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture
def served() -> Iterator[tuple[Metrics, str]]:
    metrics = Metrics(CollectorRegistry(), capacity=64)
    endpoint = MetricsEndpoint(metrics, "127.0.0.1", 0)
    endpoint.start()
    try:
        assert endpoint.port > 0
        yield metrics, f"http://127.0.0.1:{endpoint.port}"
    finally:
        endpoint.close()


def test_metrics_is_prometheus_text_with_what_was_counted(served: tuple[Metrics, str]) -> None:
    metrics, base = served
    metrics.tx_seen.inc(5)
    metrics.tx_invalid.labels("not_json").inc()
    metrics.candidates_sent.labels("HIGH").inc(2)
    metrics.stream_buffer_depth.labels("LOW").set(3)
    metrics.detect_to_send_seconds.observe(0.004)

    status, headers, body = http_get(base + "/metrics")
    assert status == 200
    assert headers["Content-Type"].startswith("text/plain")
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body.decode())
        for s in family.samples
    }
    assert samples[("sniffer_tx_seen_total", ())] == 5
    assert samples[("sniffer_tx_invalid_total", (("reason", "not_json"),))] == 1
    assert samples[("sniffer_candidates_sent_total", (("priority", "HIGH"),))] == 2
    assert samples[("sniffer_candidates_sent_total", (("priority", "LOW"),))] == 0
    assert samples[("sniffer_stream_buffer_depth", (("priority", "LOW"),))] == 3
    assert samples[("sniffer_stream_buffer_capacity", ())] == 64
    assert samples[("sniffer_detect_to_send_seconds_bucket", (("le", "0.005"),))] == 1
    assert samples[("sniffer_detect_to_send_seconds_count", ())] == 1
    # A query string prometheus_client does not know does not change the answer.
    assert http_get(base + "/metrics?x=1")[2] == body


def test_snapshot_holds_every_contract_key_as_a_number(served: tuple[Metrics, str]) -> None:
    metrics, base = served
    metrics.tx_seen.inc(7)
    metrics.tx_ignored.inc(7)
    metrics.backpressure_events.inc()
    status, headers, body = http_get(base + "/snapshot")
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    snapshot = orjson.loads(body)
    assert list(snapshot) == list(SNAPSHOT_KEYS)
    assert all(is_number(snapshot[key]) for key in SNAPSHOT_KEYS), snapshot
    assert snapshot["tx_seen"] == 7
    assert snapshot["backpressure_events"] == 1
    assert snapshot["stream_buffer_capacity"] == 64
    assert snapshot["stream_buffer_depth"] == 0


def test_anything_else_is_404(served: tuple[Metrics, str]) -> None:
    for path in ("/", "/metricsx", "/snapshot/1", "/favicon.ico"):
        assert http_get(served[1] + path)[0] == 404, path


def test_close_releases_the_port() -> None:
    endpoint = MetricsEndpoint(Metrics(CollectorRegistry()), "127.0.0.1", 0)
    endpoint.start()
    base = f"http://127.0.0.1:{endpoint.port}"
    assert http_get(base + "/snapshot")[0] == 200
    endpoint.close()
    with pytest.raises(urllib.error.URLError):
        http_get(base + "/snapshot", timeout=2)


def get(url: str, **headers: str) -> tuple[dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)
    with _OPENER.open(request, timeout=5) as response:
        assert response.status == 200
        return dict(response.headers), response.read()


def test_openmetrics_when_the_scraper_asks_for_it(served: tuple[Metrics, str]) -> None:
    metrics, base = served
    metrics.tx_seen.inc(3)
    accept = "application/openmetrics-text; version=1.0.0; charset=utf-8"
    headers, body = get(base + "/metrics", Accept=accept)
    assert headers["Content-Type"].startswith("application/openmetrics-text")
    text = body.decode()
    assert text.endswith("# EOF\n")
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in openmetrics_families(text)
        for s in family.samples
    }
    assert samples[("sniffer_tx_seen_total", ())] == 3
    assert samples[("sniffer_stream_buffer_capacity", ())] == 64
    # Without the header, the same registry in the Prometheus text format.
    plain_headers, _ = get(base + "/metrics")
    assert plain_headers["Content-Type"].startswith("text/plain")


def test_gzip_when_the_scraper_accepts_it(served: tuple[Metrics, str]) -> None:
    metrics, base = served
    metrics.tx_seen.inc(4)
    headers, body = get(base + "/metrics", **{"Accept-Encoding": "gzip"})
    assert headers["Content-Encoding"] == "gzip"
    text = gzip.decompress(body).decode()
    assert "sniffer_tx_seen_total 4.0" in text
    plain_headers, plain = get(base + "/metrics")
    assert "Content-Encoding" not in plain_headers
    assert b"sniffer_tx_seen_total 4.0" in plain


def test_snapshot_json_keys_over_http_match_the_metrics_object(
    served: tuple[Metrics, str],
) -> None:
    metrics, base = served
    metrics.candidates_detected.labels("pump_fun", "HIGH").inc(2)
    headers, body = get(base + "/snapshot", **{"Accept-Encoding": "gzip"})
    assert headers["Content-Type"] == "application/json"
    snapshot = orjson.loads(body)  # the JSON as it is: the snapshot is small, never gzipped
    assert tuple(snapshot) == SNAPSHOT_KEYS
    assert {k: v for k, v in snapshot.items() if k != "uptime_s"} == {
        k: v for k, v in metrics.snapshot().items() if k != "uptime_s"
    }
    assert snapshot["candidates_detected"] == 2


def test_nothing_listens_before_start() -> None:
    port = free_port()
    endpoint = MetricsEndpoint(Metrics(CollectorRegistry()), "127.0.0.1", port)
    with pytest.raises(urllib.error.URLError):
        http_get(f"http://127.0.0.1:{port}/snapshot", timeout=2)
    endpoint.close()  # closing what never started is harmless
