"""The metrics endpoint in-process: /metrics is Prometheus text that holds what was counted,
/snapshot the contract's JSON, anything else 404."""

from __future__ import annotations

import urllib.error
from collections.abc import Iterator

import orjson
import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from connectors.metrics_endpoint import MetricsEndpoint
from domain.metrics import SNAPSHOT_KEYS, Metrics
from tests.deploy.support import http_get, is_number


@pytest.fixture
def served() -> Iterator[tuple[Metrics, str]]:
    metrics = Metrics(CollectorRegistry(), capacity=64)
    endpoint = MetricsEndpoint(metrics, "127.0.0.1", 0)
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
    # A query string does not change the answer.
    assert http_get(base + "/metrics?name[]=x")[0] == 200


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
    base = f"http://127.0.0.1:{endpoint.port}"
    assert http_get(base + "/snapshot")[0] == 200
    endpoint.close()
    with pytest.raises(urllib.error.URLError):
        http_get(base + "/snapshot", timeout=2)
