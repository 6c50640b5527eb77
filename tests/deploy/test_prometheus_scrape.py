"""A real Prometheus server scrapes the real job: the series arrive under their contract names,
the alert rules load and evaluate against them (each alert expression, without its threshold,
yields a number for every buffer / process / job it should), and the job still stops cleanly
on SIGTERM with both conservation laws holding."""

from __future__ import annotations

import math
import re
import subprocess
import urllib.parse
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from domain.metrics import conservation_problems
from solwire.launchpads import NAMES
from tests.deploy.support import (
    ALERTS,
    RunningJob,
    free_port,
    http_get,
    stop_process,
    tool,
    try_get_json,
    wait_for,
)

pytestmark = pytest.mark.e2e

CAPACITY = 1000  # not the default, so reading it back proves it came from this job


class Prometheus:
    def __init__(self, directory: Path, target_port: int) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        config = directory / "prometheus.yml"
        config.write_text(
            "global:\n"
            "  scrape_interval: 1s\n"
            "  evaluation_interval: 1s\n"
            "rule_files:\n"
            f"  - {ALERTS}\n"
            "scrape_configs:\n"
            "  - job_name: sniffer\n"
            "    static_configs:\n"
            f"      - targets: ['127.0.0.1:{target_port}']\n"
        )
        self.log = directory / "prometheus.log"
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [
                    tool("prometheus"),
                    f"--config.file={config}",
                    f"--storage.tsdb.path={directory / 'data'}",
                    f"--web.listen-address=127.0.0.1:{self.port}",
                    "--log.level=warn",
                ],
                cwd=directory,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def tail(self) -> str:
        return f"prometheus exit code {self.proc.poll()}; log ends:\n{self.log.read_text()[-3000:]}"

    def api(self, path: str, **params: str) -> Any:
        """The `data` of an API answer, or None while the server does not answer (yet)."""
        query = urllib.parse.urlencode(params)
        answer = try_get_json(f"{self.base}/api/v1/{path}" + (f"?{query}" if query else ""))
        if answer is None or answer.get("status") != "success":
            return None
        return answer["data"]

    def instant(self, expr: str) -> list[dict[str, Any]] | None:
        """The samples of an instant query, or None while it has none."""
        data = self.api("query", query=expr)
        if data is None or not data["result"]:
            return None
        assert data["resultType"] == "vector", data
        return list(data["result"])


@pytest.fixture
def job(tmp_path: Path) -> Iterator[tuple[RunningJob, int]]:
    port = free_port()
    running = RunningJob(
        tmp_path / "job",
        {
            "SNIFFER_METRICS_PORT": str(port),
            "SNIFFER_STREAM_BUFFER_CAPACITY": str(CAPACITY),
            "SNIFFER_SINK": "null",
        },
    )
    try:
        yield running, port
    finally:
        running.kill()


@pytest.fixture
def prometheus(tmp_path: Path, job: tuple[RunningJob, int]) -> Iterator[Prometheus]:
    server = Prometheus(tmp_path, job[1])
    try:
        yield server
    finally:
        stop_process(server.proc)


def value(sample: dict[str, Any]) -> float:
    return float(sample["value"][1])


def launchpad_results(prometheus: Prometheus, expr: str, launchpad: str) -> list[dict[str, Any]]:
    return [s for s in prometheus.instant(expr) or [] if s["metric"].get("launchpad") == launchpad]


def test_prometheus_scrapes_the_job_and_evaluates_the_alert_rules(
    job: tuple[RunningJob, int], prometheus: Prometheus
) -> None:
    running, port = job
    diagnostics = lambda: running.tail() + "\n" + prometheus.tail()  # noqa: E731
    wait_for(
        lambda: try_get_json(f"http://127.0.0.1:{port}/snapshot"),
        f"the job serving /snapshot on 127.0.0.1:{port}",
        diagnostics=diagnostics,
    )

    seen = wait_for(
        lambda: [s for s in prometheus.instant("sniffer_tx_seen_total") or [] if value(s) > 0],
        "Prometheus returning a positive sniffer_tx_seen_total for the job",
        diagnostics=diagnostics,
    )
    assert len(seen) == 1
    assert seen[0]["metric"] == {
        "__name__": "sniffer_tx_seen_total",
        "job": "sniffer",
        "instance": f"127.0.0.1:{port}",
    }
    capacity = prometheus.instant("sniffer_stream_buffer_capacity")
    assert capacity is not None and [value(s) for s in capacity] == [CAPACITY]
    depth = prometheus.instant("sniffer_stream_buffer_depth")
    assert depth is not None
    assert sorted(s["metric"]["priority"] for s in depth) == ["HIGH", "LOW"]

    # The rules loaded, and each has been evaluated without error against the live series.
    def rules_evaluated() -> list[dict[str, Any]] | None:
        data = prometheus.api("rules")
        if data is None:
            return None
        rules = [rule for group in data["groups"] for rule in group["rules"]]
        if len(rules) == 5 and all(r["lastEvaluation"] > "2000" for r in rules):
            return rules
        return None

    rules = wait_for(
        rules_evaluated, "Prometheus evaluating the alert rules", diagnostics=diagnostics
    )
    assert {r["name"] for r in rules} == {
        "SnifferStreamBufferNearlyFull",
        "SnifferBackpressureSustained",
        "SnifferDropRateHigh",
        "SnifferLaunchpadDetectionDropped",
        "SnifferLaunchFieldsPartial",
    }
    assert all(r["health"] == "ok" for r in rules), rules

    # Without its threshold, each alert expression is a number for each thing it watches: label
    # matching that did not fit the real series would give no result at all, never an alert.
    expected_labels = {
        "SnifferStreamBufferNearlyFull": [
            {"job": "sniffer", "instance": f"127.0.0.1:{port}", "priority": "HIGH"},
            {"job": "sniffer", "instance": f"127.0.0.1:{port}", "priority": "LOW"},
        ],
        "SnifferBackpressureSustained": [{"job": "sniffer", "instance": f"127.0.0.1:{port}"}],
        "SnifferDropRateHigh": [{"job": "sniffer"}],
    }
    for rule in rules:
        match = re.fullmatch(r"(?s)(.*\S)\s*>\s*([0-9.]+)\s*", rule["query"])
        assert match, f"{rule['name']}: expected `<expression> > <threshold>`, got {rule['query']}"
        expr = match.group(1)
        if rule["name"] == "SnifferLaunchFieldsPartial":
            # A healthy job reads every field: no partial series, so no number either; what it
            # would give is one share per launchpad and field.
            for s in prometheus.instant(expr) or []:
                assert set(s["metric"]) == {"job", "launchpad", "field"}, s
            continue
        if rule["name"] == "SnifferLaunchpadDetectionDropped":
            # One shortfall per launchpad busy enough, over the job; a steady synthetic stream
            # has none. Which launchpads qualify in a short run is up to chance, pump_fun (most
            # of the synthetic launches) always does.
            wait_for(
                partial(launchpad_results, prometheus, expr, "pump_fun"),
                f"a pump_fun result for {rule['name']}'s expression {expr}",
                diagnostics=diagnostics,
            )
            shortfalls = prometheus.instant(expr) or []
            assert all(set(s["metric"]) == {"job", "launchpad"} for s in shortfalls), shortfalls
            assert all(s["metric"]["launchpad"] in NAMES for s in shortfalls), shortfalls
            assert all(0 <= value(s) <= 0.8 for s in shortfalls), shortfalls
            continue
        measured = wait_for(
            partial(prometheus.instant, expr),
            f"a result for {rule['name']}'s expression {expr}",
            diagnostics=diagnostics,
        )
        labels = sorted((s["metric"] for s in measured), key=lambda m: m.get("priority", ""))
        assert labels == expected_labels[rule["name"]], rule["name"]
        assert all(math.isfinite(value(s)) and value(s) >= 0 for s in measured), measured
        if rule["name"] == "SnifferDropRateHigh":
            assert [value(s) for s in measured] == [0.0], "a healthy job drops nothing"

    status, _, _ = http_get(f"{prometheus.base}/-/healthy")
    assert status == 200

    _, snapshot = running.stop()
    assert snapshot["tx_seen"] > 0
    assert snapshot["stream_buffer_capacity"] == CAPACITY
    assert conservation_problems(snapshot) == []
