"""Metrics: every contract series exists from the start, the snapshot, the two laws, and the
export/restore of counters that recovery relies on, and the table they are declared from."""

from __future__ import annotations

from dataclasses import replace

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest

from domain.metrics import (
    METRICS,
    SNAPSHOT_KEYS,
    Metrics,
    MetricSpec,
    conservation_problems,
    table_problems,
)

CONTRACT_SERIES = [
    "sniffer_tx_seen_total",
    "sniffer_tx_ignored_total",
    "sniffer_duplicates_total",
    "sniffer_candidates_sent_total",
    "sniffer_dropped_full_buffer_total",
    "sniffer_dropped_shutdown_total",
    "sniffer_dropped_stale_total",
    "sniffer_send_failures_total",
    "sniffer_send_retries_total",
    "sniffer_backpressure_events_total",
    "sniffer_batches_sent_total",
    "sniffer_stream_buffer_depth",
    "sniffer_stream_buffer_capacity",
    "sniffer_batch_size_bucket",
    "sniffer_detect_to_send_seconds_bucket",
]


def test_every_contract_series_is_exported_before_anything_happens() -> None:
    text = generate_latest(Metrics(CollectorRegistry(), capacity=64).registry).decode()
    for name in CONTRACT_SERIES:
        assert name in text, name
    assert "sniffer_stream_buffer_capacity 64.0" in text


def test_snapshot_has_every_key_as_a_number_and_totals_over_labels() -> None:
    metrics = Metrics(CollectorRegistry())
    metrics.tx_seen.inc(5)
    metrics.tx_invalid.labels("not_json").inc(2)
    metrics.tx_invalid.labels("rpc_error").inc(1)
    metrics.tx_ignored.inc(2)
    snap = metrics.snapshot()
    assert list(snap) == list(SNAPSHOT_KEYS)
    assert all(isinstance(v, int | float) for v in snap.values())
    assert snap["tx_invalid"] == 3
    assert conservation_problems(snap) == []
    metrics.tx_seen.inc()
    assert conservation_problems(metrics.snapshot()) == [
        "tx_seen=6 but ignored+invalid+duplicates+rejected+detected=5"
    ]


def test_exported_counts_restore_into_a_fresh_process() -> None:
    before = Metrics(CollectorRegistry())
    before.tx_seen.inc(10)
    before.tx_ignored.inc(7)
    before.candidates_detected.labels("pump_fun", "HIGH").inc(3)
    before.candidates_sent.labels("HIGH").inc(3)
    exported = before.export_counts()

    after = Metrics(CollectorRegistry())
    after.tx_seen.inc(1)  # counted by the resumed run before the send step was rebuilt
    after.tx_ignored.inc(1)
    after.restore_counts(exported)
    snap = after.snapshot()
    assert snap["tx_seen"] == 11 and snap["tx_ignored"] == 8
    assert snap["candidates_sent"] == 3
    assert (
        after.registry.get_sample_value(
            "sniffer_candidates_detected_total", {"launchpad": "pump_fun", "priority": "HIGH"}
        )
        == 3
    )
    assert conservation_problems(snap) == []


def test_snapshot_keys_come_from_the_table_in_the_contract_order() -> None:
    assert SNAPSHOT_KEYS == (
        "tx_seen", "tx_ignored", "tx_invalid", "duplicates", "candidates_rejected",
        "candidates_detected", "candidates_sent", "dropped_full_buffer", "dropped_shutdown",
        "dropped_stale", "send_failures", "send_retries", "backpressure_events",
        "stream_buffer_depth", "stream_buffer_capacity", "batches_sent", "uptime_s",
    )  # fmt: skip
    assert [s.attribute for s in METRICS if s.snapshot] == list(SNAPSHOT_KEYS[:-1])


def test_a_misspelt_or_undeclared_row_is_a_problem_at_import() -> None:
    assert table_problems(METRICS, Metrics.__annotations__) == []
    misspelt = tuple(
        replace(spec, name="sniffer_tx_sen") if spec.name == "sniffer_tx_seen" else spec
        for spec in METRICS
    )
    problems = table_problems(misspelt, Metrics.__annotations__)
    assert "tx_seen: declared Counter, table None" in problems
    assert "tx_sen: in the table, not declared on Metrics" in problems
    wrong_kind = (*METRICS[1:], replace(METRICS[0], kind=Gauge))
    assert table_problems(wrong_kind, Metrics.__annotations__) == [
        "tx_seen: declared Counter, table Gauge"
    ]
    suffixed = (*METRICS, MetricSpec("sniffer_x_total", Counter, (), False, "x"))
    assert any("x_total" in p for p in table_problems(suffixed, Metrics.__annotations__))
