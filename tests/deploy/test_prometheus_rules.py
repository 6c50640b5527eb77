"""The Prometheus files in deploy/prometheus: promtool accepts the rules and the example config,
the rule unit tests pass, and every series the rules (and their tests) use is one the job
exports, with labels it carries."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.deploy.support import (
    ALERTS,
    ALERTS_TEST,
    PROMETHEUS_CONFIG,
    TARGET_LABELS,
    check_exported_only,
    exported_series,
    metric_names,
    rule_exprs,
    tool,
)
from tests.jobs import ROOT

ALERT_NAMES = {
    "SnifferStreamBufferNearlyFull",
    "SnifferBackpressureSustained",
    "SnifferDropRateHigh",
    "SnifferLaunchpadDetectionDropped",
    "SnifferLaunchFieldsPartial",
}


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("promtool"), *args], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize(
    "args",
    [
        ("check", "rules", str(ALERTS.relative_to(ROOT))),
        ("check", "config", str(PROMETHEUS_CONFIG.relative_to(ROOT))),
        ("test", "rules", str(ALERTS_TEST.relative_to(ROOT))),
    ],
    ids=["check-rules", "check-config", "test-rules"],
)
def test_promtool_accepts(args: tuple[str, ...]) -> None:
    result = promtool(*args)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout + result.stderr


def test_the_config_scrapes_the_default_endpoint_and_loads_the_rules() -> None:
    result = promtool("check", "config", str(PROMETHEUS_CONFIG))
    assert "1 rule files found" in result.stdout + result.stderr
    text = PROMETHEUS_CONFIG.read_text()
    assert '"127.0.0.1:9464"' in text
    assert re.search(r"^rule_files:\n\s+- alerts\.yml", text, re.MULTILINE)


def test_the_alerts_use_only_exported_series_and_their_labels() -> None:
    exported = exported_series()
    exprs = rule_exprs(ALERTS.read_text())
    assert set(exprs) == ALERT_NAMES
    for alert, expr in exprs.items():
        check_exported_only(expr, exported, alert)
    assert metric_names(exprs["SnifferStreamBufferNearlyFull"]) == {
        "sniffer_stream_buffer_depth",
        "sniffer_stream_buffer_capacity",
    }
    assert metric_names(exprs["SnifferBackpressureSustained"]) == {
        "sniffer_backpressure_events_total"
    }
    assert metric_names(exprs["SnifferDropRateHigh"]) == {
        "sniffer_dropped_full_buffer_total",
        "sniffer_dropped_shutdown_total",
        "sniffer_dropped_stale_total",
        "sniffer_tx_seen_total",
    }
    assert metric_names(exprs["SnifferLaunchpadDetectionDropped"]) == {
        "sniffer_launches_found_total",
        "sniffer_launchpad_frames_total",
    }
    assert metric_names(exprs["SnifferLaunchFieldsPartial"]) == {
        "sniffer_launch_partial_total",
        "sniffer_launches_found_total",
    }
    # Everything else the file names (annotations, comments) is real too.
    assert metric_names(ALERTS.read_text()) <= set(exported)


def test_the_rule_tests_feed_series_shaped_like_the_real_ones() -> None:
    """A misspelt series or label in alerts_test.yml would make the 'stays silent' cases pass
    for the wrong reason."""
    exported = exported_series()
    series = re.findall(r"series:\s*'([^']*)'", ALERTS_TEST.read_text())
    assert len(series) > 10
    for text in series:
        match = re.fullmatch(r"(\w+)\{(.*)\}", text)
        assert match, text
        name, selector = match.groups()
        assert name in exported, f"alerts_test.yml feeds {name}, which the job does not export"
        labels = set(re.findall(r"(\w+)\s*=", selector))
        assert labels == exported[name] | TARGET_LABELS, (
            f"{text}: a scrape of the job gives {name} the labels"
            f" {sorted(exported[name] | TARGET_LABELS)}"
        )
