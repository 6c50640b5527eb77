"""Helpers for the deploy tests: external tools, free loopback ports, bounded waits, HTTP reads,
the real job as a long-running subprocess, and the series the job exports."""

from __future__ import annotations

import math
import re
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, TypeVar

import orjson
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from domain.metrics import Metrics
from domain.models import PRIORITIES
from localcluster.jobrun import start_job
from localcluster.options import free_port as free_port
from localcluster.options import free_port_run as free_port_run
from tests.jobs import ROOT
from tests.waiting import wait_for as wait_for

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

DEPLOY = ROOT / "deploy"
ALERTS = DEPLOY / "prometheus" / "alerts.yml"
ALERTS_TEST = DEPLOY / "prometheus" / "alerts_test.yml"
PROMETHEUS_CONFIG = DEPLOY / "prometheus" / "prometheus.yml"
DASHBOARD = DEPLOY / "grafana" / "sniffer-dashboard.json"
MANIFESTS = DEPLOY / "kubernetes"

Manifest = dict[str, Any]

#: pyproject.toml's [project] table: name, version, extras, scripts.
PROJECT: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

#: Labels Prometheus attaches to every scraped series (the job's own series never carry them).
TARGET_LABELS = frozenset({"job", "instance"})

T = TypeVar("T")


def tool(name: str) -> str:
    """The path of an external program the tests need; a clear failure (not a skip) without it."""
    path = shutil.which(name)
    assert path is not None, (
        f"`{name}` is not installed: run scripts/system-deps.sh as root (Debian package"
        " `prometheus`), or scripts/test.sh, which does"
    )
    return path


def load_manifests() -> dict[tuple[str, str], Manifest]:
    """Every object of deploy/kubernetes/ by (kind, name); a name defined twice fails."""
    import yaml

    found: dict[tuple[str, str], Manifest] = {}
    for path in sorted(MANIFESTS.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc is None:
                continue
            key = (doc["kind"], doc["metadata"]["name"])
            assert key not in found, f"{key} defined twice"
            found[key] = doc
    return found


#: Loopback only: never through an HTTP proxy the environment may name.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_get(url: str, timeout: float = 5.0) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of a GET; an HTTP error status is returned, not raised."""
    try:
        with _OPENER.open(url, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def try_get_json(url: str) -> Any:
    """The JSON at `url`, or None while nothing answers there (yet)."""
    try:
        status, _, body = http_get(url, timeout=2.0)
    except (OSError, urllib.error.URLError):
        return None
    return orjson.loads(body) if status == 200 else None


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


class RunningJob:
    """`python -m bytewax.run flows.sniffer` in the background, its stdout and stderr in files."""

    def __init__(self, directory: Path, settings: dict[str, str], *bytewax_args: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.stdout_path = directory / "stdout.txt"
        self.stderr_path = directory / "stderr.txt"
        self._terminated = False
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            self.proc = start_job(settings, *bytewax_args, stdout=out, stderr=err)

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def tail(self) -> str:
        return f"job exit code {self.proc.poll()}; stderr ends:\n{self.stderr()[-3000:]}"

    def alive(self) -> bool:
        return self.proc.poll() is None

    def terminate(self) -> None:
        """SIGTERM, once: a second one would mean "stop at once" (exit 130), not graceful."""
        if not self._terminated and self.alive():
            self._terminated = True
            self.proc.send_signal(signal.SIGTERM)

    def stop(self, timeout: float = 60.0) -> tuple[int, dict[str, Any]]:
        """SIGTERM (unless sent already), wait for the exit; the exit code and the snapshot on
        the last stderr line."""
        self.terminate()
        try:
            returncode = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"the job did not exit within {timeout:.0f} s of SIGTERM"
            ) from None
        lines = self.stderr().strip().splitlines()
        assert returncode == 0, self.tail()
        assert lines, "the job printed nothing on stderr"
        try:
            snapshot = orjson.loads(lines[-1])
        except orjson.JSONDecodeError:
            raise AssertionError(f"last stderr line is not the snapshot: {lines[-1]!r}") from None
        assert isinstance(snapshot, dict), lines[-1]
        return returncode, snapshot

    def kill(self) -> None:
        """Cleanup: make sure the process is gone (SIGKILL if it still runs)."""
        if self.alive():
            self.proc.kill()
        self.proc.wait(timeout=30)


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """SIGTERM a process we started, SIGKILL if it does not exit in time."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)


def exported_series() -> dict[str, frozenset[str]]:
    """Every sample name the job exports on /metrics (with the `_total`, `_bucket`, `_sum`,
    `_count`, `_created` suffixes) and the label names it carries, from a fresh `Metrics` whose
    labelled series have all been touched."""
    metrics = Metrics(CollectorRegistry(), capacity=2048)
    metrics.tx_invalid.labels("not_json")
    metrics.candidates_rejected.labels("creator_denied")
    for priority in PRIORITIES:
        metrics.candidates_detected.labels("pump_fun", priority)
    metrics.launches_found.labels("pump_fun", "create")
    metrics.launch_partial.labels("pump_fun", "creator")
    metrics.launchpad_frames.labels("pump_fun")
    metrics.batch_size.observe(1)
    metrics.detect_to_send_seconds.observe(0.01)
    labels: dict[str, set[str]] = {}
    text = generate_latest(metrics.registry).decode()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels.setdefault(sample.name, set()).update(sample.labels)
    return {name: frozenset(names) for name, names in labels.items()}


_METRIC = re.compile(r"\bsniffer_[A-Za-z0-9_:]*[A-Za-z0-9:]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)")
_MATCHER = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)\s*\"")


def metric_names(promql: str) -> set[str]:
    """The metric names (identifiers starting `sniffer_`) a PromQL expression uses."""
    return set(_METRIC.findall(promql))


def label_names(promql: str) -> set[str]:
    """Label names a PromQL expression groups, matches or filters by."""
    names: set[str] = set()
    for group in _GROUPING.findall(promql):
        names.update(n.strip() for n in group.split(",") if n.strip())
    for selector in re.findall(r"\{([^{}]*)\}", promql):
        names.update(_MATCHER.findall(selector))
    return names


def check_exported_only(expr: str, exported: dict[str, frozenset[str]], where: str) -> None:
    """Fail unless `expr` uses at least one sniffer_ series, only series the job exports, and
    only their labels or the scrape target's; `where` names the expression in the message."""
    names = metric_names(expr)
    assert names, f"{where}: no sniffer_ series in {expr!r}"
    unknown = names - set(exported)
    assert not unknown, f"{where} uses series the job does not export: {sorted(unknown)}"
    labels = set().union(*(exported[n] for n in names)) | TARGET_LABELS
    assert label_names(expr) <= labels, f"{where}: unknown labels in {expr!r}"


def rule_exprs(rules_yaml: str) -> dict[str, str]:
    """Alert name -> expression of a Prometheus rule file as this project writes it (`- alert:`
    then `expr: |` with the expression indented below it). Deliberately small: the tests also
    have promtool and a live Prometheus parse the real file."""
    exprs: dict[str, str] = {}
    lines = rules_yaml.splitlines()
    alert = None
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("- alert:"):
            alert = stripped.split(":", 1)[1].strip()
        elif stripped.startswith("expr:") and alert is not None:
            inline = stripped.split(":", 1)[1].strip()
            if inline not in ("|", ">", "|-", ">-"):
                exprs[alert] = inline
                continue
            indent = len(line) - len(line.lstrip())
            body = []
            for following in lines[i + 1 :]:
                if following.strip() and len(following) - len(following.lstrip()) <= indent:
                    break
                body.append(following.strip())
            exprs[alert] = " ".join(part for part in body if part)
    return exprs
