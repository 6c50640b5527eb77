"""deploy/grafana/sniffer-dashboard.json: a dashboard Grafana can import (panels with ids,
titles, grid positions and Prometheus targets, a data source variable), with the panels the
project promises, querying only series the job exports."""

from __future__ import annotations

import re
from itertools import combinations
from typing import Any

import orjson
import pytest

from tests.deploy.support import (
    DASHBOARD,
    check_exported_only,
    exported_series,
    metric_names,
)

#: Panel title (start) -> series its queries must use.
EXPECTED_PANELS = {
    "Throughput": {"sniffer_tx_seen_total"},
    "Candidates by priority": {"sniffer_candidates_detected_total"},
    "Stream buffer depth": {"sniffer_stream_buffer_depth", "sniffer_stream_buffer_capacity"},
    "Drops by kind": {
        "sniffer_dropped_full_buffer_total",
        "sniffer_dropped_shutdown_total",
        "sniffer_dropped_stale_total",
    },
    "Backpressure": {"sniffer_backpressure_events_total"},
    "Detect-to-send latency": {"sniffer_detect_to_send_seconds_bucket"},
    "Invalid frames by reason": {"sniffer_tx_invalid_total"},
    "Launches found by launchpad": {
        "sniffer_launches_found_total",
        "sniffer_launchpad_frames_total",
    },
    "Partial fields by launchpad and field": {"sniffer_launch_partial_total"},
}


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    loaded = orjson.loads(DASHBOARD.read_bytes())
    assert isinstance(loaded, dict)
    return loaded


def panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for panel in dashboard["panels"]:
        found.append(panel)
        found.extend(panel.get("panels", []))  # panels inside collapsed rows
    return found


def queries(dashboard: dict[str, Any]) -> list[str]:
    """Every PromQL the dashboard runs: panel targets and template variable queries."""
    exprs = [t["expr"] for p in panels(dashboard) for t in p.get("targets", [])]
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            query = variable["query"]
            exprs.append(query["query"] if isinstance(query, dict) else query)
    return exprs


def test_top_level_structure(dashboard: dict[str, Any]) -> None:
    assert isinstance(dashboard["title"], str) and dashboard["title"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,40}", dashboard["uid"])
    assert 36 <= dashboard["schemaVersion"] <= 41
    assert dashboard.get("id") is None, "an exported id would clash on import"
    assert set(dashboard["time"]) == {"from", "to"}
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"


def test_panels_have_ids_titles_positions_and_targets(dashboard: dict[str, Any]) -> None:
    all_panels = panels(dashboard)
    ids = [p["id"] for p in all_panels]
    assert all(isinstance(i, int) for i in ids)
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    variables = {v["name"] for v in dashboard["templating"]["list"]}
    for panel in all_panels:
        assert isinstance(panel["title"], str) and panel["title"], panel
        grid = panel["gridPos"]
        assert set(grid) >= {"h", "w", "x", "y"}, panel["title"]
        assert all(isinstance(grid[k], int) and grid[k] >= 0 for k in "hwxy")
        assert grid["w"] > 0 and grid["h"] > 0 and grid["x"] + grid["w"] <= 24, panel["title"]
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        targets = panel["targets"]
        assert targets, f"{panel['title']}: no targets"
        ref_ids = [t["refId"] for t in targets]
        assert len(ref_ids) == len(set(ref_ids)), panel["title"]
        for target in targets:
            assert isinstance(target["expr"], str) and target["expr"].strip(), panel["title"]
            for used in re.findall(r"\$(\w+)", target["expr"]):
                assert used in variables or used.startswith("__"), f"undefined variable ${used}"
    for a, b in combinations(all_panels, 2):
        ga, gb = a["gridPos"], b["gridPos"]
        overlap = (
            ga["x"] < gb["x"] + gb["w"]
            and gb["x"] < ga["x"] + ga["w"]
            and ga["y"] < gb["y"] + gb["h"]
            and gb["y"] < ga["y"] + ga["h"]
        )
        assert not overlap, f"panels {a['title']!r} and {b['title']!r} overlap"


def test_the_promised_panels_are_there(dashboard: dict[str, Any]) -> None:
    by_title = {p["title"]: p for p in panels(dashboard)}
    for start, series in EXPECTED_PANELS.items():
        matching = [p for title, p in by_title.items() if title.startswith(start)]
        assert len(matching) == 1, f"one panel titled {start!r}…, found {len(matching)}"
        used = set().union(*(metric_names(t["expr"]) for t in matching[0]["targets"]))
        assert series <= used, f"{start}: uses {sorted(used)}, expected {sorted(series)}"
    latency = next(p for t, p in by_title.items() if t.startswith("Detect-to-send latency"))
    quantiles = sorted(
        re.findall(r"histogram_quantile\(\s*([0-9.]+)", t["expr"])[0] for t in latency["targets"]
    )
    assert quantiles == ["0.5", "0.9", "0.99"]
    assert latency["fieldConfig"]["defaults"]["unit"] == "s"
    # The per-launchpad panels split by the labels they are about.
    found = next(p for t, p in by_title.items() if t.startswith("Launches found by launchpad"))
    assert "by (launchpad, event)" in found["targets"][0]["expr"]
    partial = next(p for t, p in by_title.items() if t.startswith("Partial fields"))
    assert "by (launchpad, field)" in partial["targets"][0]["expr"]


def test_every_query_uses_only_exported_series_and_labels(dashboard: dict[str, Any]) -> None:
    exported = exported_series()
    exprs = queries(dashboard)
    assert len(exprs) >= len(EXPECTED_PANELS)
    for expr in exprs:
        check_exported_only(expr, exported, repr(expr))
