"""deploy/kubernetes/: the manifests are valid against Kubernetes' own API schemas, wired
consistently (names, labels, ports, the process id from the pod name, the hostfile, the grace
period against the shutdown timeout, recovery), and their init scripts and container command,
run here as Kubernetes would run them in two pods (with loopback addresses standing in for pod IPs
and cluster DNS), make a working cluster that stops gracefully on SIGTERM and resumes from its
per-pod recovery partitions. No real cluster is involved."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import bytewax.run as bytewax_run
import kubernetes_validate
import orjson
import pytest
import yaml

from domain.config import load_config
from domain.metrics import SNAPSHOT_KEYS, conservation_problems
from flows.runtime import process_id
from tests.deploy.support import (
    ALERTS,
    MANIFESTS,
    Manifest,
    free_port,
    free_port_run,
    load_manifests,
    tool,
    try_get_json,
    wait_for,
)
from tests.jobs import ROOT

#: The oldest Kubernetes release still common in managed offerings, and the newest schema known.
SCHEMA_VERSIONS = ("1.28.0", kubernetes_validate.latest_version())

MANIFEST_SET = load_manifests()


def one(kind: str) -> Manifest:
    matches = [doc for (k, _), doc in MANIFEST_SET.items() if k == kind]
    assert len(matches) == 1, f"expected one {kind}, found {len(matches)}"
    return matches[0]


STATEFULSET = one("StatefulSet")
SERVICE = one("Service")
NAMESPACE = one("Namespace")["metadata"]["name"]
POD = STATEFULSET["spec"]["template"]["spec"]
REPLICAS = int(STATEFULSET["spec"]["replicas"])


def container(name: str) -> Manifest:
    for c in POD.get("initContainers", []) + POD["containers"]:
        if c["name"] == name:
            return c
    raise AssertionError(f"no container {name!r}")


MAIN = container("sniffer")
HOSTFILE_INIT = container("hostfile")
RECOVERY_INIT = container("recovery-init")


def configmap(name: str) -> dict[str, str]:
    doc = MANIFEST_SET[("ConfigMap", name)]
    return dict(doc["data"])


def sniffer_settings() -> dict[str, str]:
    (source,) = MAIN["envFrom"]
    return configmap(source["configMapRef"]["name"])


def literal_env(c: Manifest) -> dict[str, str]:
    return {var["name"]: var["value"] for var in c.get("env", []) if "value" in var}


def field_env(c: Manifest) -> dict[str, str]:
    """Variable name -> the pod field it comes from (downward API)."""
    return {
        var["name"]: var["valueFrom"]["fieldRef"]["fieldPath"]
        for var in c.get("env", [])
        if "fieldRef" in var.get("valueFrom", {})
    }


def mount_of(c: Manifest, volume: str) -> str:
    (path,) = [m["mountPath"] for m in c.get("volumeMounts", []) if m["name"] == volume]
    return str(path)


def volume_holding(c: Manifest, path: str) -> str:
    """The name of the volume of `c` that `path` lies in."""
    for mount in c.get("volumeMounts", []):
        if path == mount["mountPath"] or path.startswith(mount["mountPath"].rstrip("/") + "/"):
            return str(mount["name"])
    raise AssertionError(f"{path} is on no volume of container {c['name']}")


def arg_after(flag: str) -> str:
    args = MAIN["args"]
    assert flag in args, args
    return str(args[args.index(flag) + 1])


# --- structure ---------------------------------------------------------------------------------


@pytest.mark.parametrize("version", SCHEMA_VERSIONS)
def test_every_manifest_is_valid_against_the_kubernetes_api_schema(version: str) -> None:
    for (kind, name), doc in MANIFEST_SET.items():
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            raise AssertionError(f"{kind}/{name} (Kubernetes {version}): {exc.message}") from None


def test_kinds_and_namespace() -> None:
    assert set(MANIFEST_SET) == {
        ("Namespace", "sniffer"),
        ("ConfigMap", "sniffer-config"),
        ("Service", "sniffer"),
        ("StatefulSet", "sniffer"),
        ("ConfigMap", "sniffer-prometheus"),
    }
    for (kind, name), doc in MANIFEST_SET.items():
        if kind != "Namespace":
            assert doc["metadata"]["namespace"] == NAMESPACE, f"{kind}/{name}"
    # `kubectl apply -f deploy/kubernetes/` applies the files in name order: namespace first.
    first = sorted(MANIFESTS.glob("*.yaml"))[0]
    assert yaml.safe_load(first.read_text())["kind"] == "Namespace"


def test_headless_service_selects_the_pods_and_carries_the_cluster_port() -> None:
    spec = SERVICE["spec"]
    assert spec["clusterIP"] == "None"
    # The processes resolve each other while starting, before anything could be ready.
    assert spec["publishNotReadyAddresses"] is True
    labels = STATEFULSET["spec"]["template"]["metadata"]["labels"]
    assert spec["selector"].items() <= labels.items()
    assert STATEFULSET["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert STATEFULSET["spec"]["serviceName"] == SERVICE["metadata"]["name"]
    (port,) = spec["ports"]
    (container_port,) = [p for p in MAIN["ports"] if p["name"] == port["targetPort"]]
    assert port["port"] == container_port["containerPort"]
    assert int(literal_env(HOSTFILE_INIT)["CLUSTER_PORT"]) == container_port["containerPort"]


def test_pods_start_and_stop_together() -> None:
    spec = STATEFULSET["spec"]
    assert spec["podManagementPolicy"] == "Parallel"
    assert spec["updateStrategy"]["type"] == "OnDelete"


def test_the_container_runs_python_itself_so_sigterm_reaches_the_job() -> None:
    # Exec form, no shell: PID 1 is Python, which installs the graceful-shutdown handler.
    assert MAIN["command"] == ["python", "-m", "bytewax.run", "flows.sniffer"]


def test_grace_period_exceeds_the_shutdown_timeout() -> None:
    config = load_config(sniffer_settings())
    grace_s = POD["terminationGracePeriodSeconds"]
    assert grace_s > config.graceful_shutdown_timeout_ms / 1000
    # And with room for Bytewax's own shutdown and the final snapshot.
    assert grace_s >= config.graceful_shutdown_timeout_ms / 1000 + 10


def test_the_configmap_is_a_valid_configuration_for_a_cluster() -> None:
    settings = sniffer_settings()
    assert all(key.startswith("SNIFFER_") for key in settings)
    # Valid, with the container's own variables beside it (no unknown SNIFFER_ setting).
    config = load_config({**settings, **literal_env(MAIN)})
    # Reachable from Prometheus's pod; each pod serves on its own port.
    assert config.metrics_host == "0.0.0.0"
    assert config.metrics_port > 0
    # Every pod runs a share of the input.
    assert config.synthetic_partitions % REPLICAS == 0


def test_process_id_and_addresses_come_from_the_pod() -> None:
    sts_name = STATEFULSET["metadata"]["name"]
    for c in (MAIN, HOSTFILE_INIT, RECOVERY_INIT):
        assert field_env(c)["BYTEWAX_POD_NAME"] == "metadata.name", c["name"]
        assert literal_env(c)["BYTEWAX_STATEFULSET_NAME"] == sts_name, c["name"]
    assert field_env(HOSTFILE_INIT)["POD_IP"] == "status.podIP"
    # bytewax.run reads the hostfile the init container wrote, on a volume they share.
    hostfile = literal_env(MAIN)["BYTEWAX_HOSTFILE_PATH"]
    assert literal_env(HOSTFILE_INIT)["BYTEWAX_HOSTFILE_PATH"] == hostfile
    volume = volume_holding(MAIN, hostfile)
    assert volume_holding(HOSTFILE_INIT, hostfile) == volume
    assert mount_of(MAIN, volume) == mount_of(HOSTFILE_INIT, volume)
    assert {"name": volume, "emptyDir": {}} in POD["volumes"]
    assert literal_env(HOSTFILE_INIT)["CLUSTER_SERVICE"] == SERVICE["metadata"]["name"]
    for c in (HOSTFILE_INIT, RECOVERY_INIT):
        assert int(literal_env(c)["CLUSTER_REPLICAS"]) == REPLICAS, c["name"]
    assert "-i" not in MAIN["args"] and "-a" not in MAIN["args"]


@pytest.mark.parametrize("ordinal", range(REPLICAS))
def test_the_job_and_bytewax_agree_on_the_process_id(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, ordinal: int
) -> None:
    pod = f"{STATEFULSET['metadata']['name']}-{ordinal}"
    hostfile = tmp_path / "hostfile"
    hostfile.write_text("10.0.0.7:2101\nsniffer-1.sniffer:2101\n")
    for name in ("BYTEWAX_PROCESS_ID", "BYTEWAX_ADDRESSES", "BYTEWAX_WORKERS_PER_PROCESS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BYTEWAX_POD_NAME", pod)
    monkeypatch.setenv("BYTEWAX_STATEFULSET_NAME", literal_env(MAIN)["BYTEWAX_STATEFULSET_NAME"])
    monkeypatch.setenv("BYTEWAX_HOSTFILE_PATH", str(hostfile))
    # The job's own reading (metrics port + process id, the log line) ...
    assert process_id(list(MAIN["args"])) == ordinal
    # ... and bytewax.run's, with the container's arguments: process id and addresses.
    monkeypatch.setattr(sys, "argv", ["bytewax.run", *MAIN["command"][3:], *MAIN["args"]])
    args = bytewax_run._parse_args()
    assert args.process_id == ordinal
    assert args.addresses == "10.0.0.7:2101;sniffer-1.sniffer:2101"
    assert args.recovery_directory == Path(arg_after("-r"))


def test_recovery_partitions_live_on_each_pods_volume() -> None:
    recovery_dir = arg_after("-r")
    assert int(arg_after("-s")) > 0 and int(arg_after("-b")) >= 0
    volume = volume_holding(MAIN, recovery_dir)
    (claim,) = STATEFULSET["spec"]["volumeClaimTemplates"]
    assert claim["metadata"]["name"] == volume
    assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert literal_env(RECOVERY_INIT)["RECOVERY_DIR"] == recovery_dir
    assert volume_holding(RECOVERY_INIT, recovery_dir) == volume
    assert mount_of(RECOVERY_INIT, volume) == mount_of(MAIN, volume)
    assert "python -m bytewax.recovery" in RECOVERY_INIT["command"][-1]


def test_prometheus_scrapes_every_pod_on_its_own_port(tmp_path: Path) -> None:
    config_text = configmap("sniffer-prometheus")["prometheus.yml"]
    config = yaml.safe_load(config_text)
    (job,) = [j for j in config["scrape_configs"] if j["job_name"] == "sniffer"]
    targets = [t for group in job["static_configs"] for t in group["targets"]]
    base = load_config(sniffer_settings()).metrics_port
    sts, service = STATEFULSET["metadata"]["name"], SERVICE["metadata"]["name"]
    assert targets == [f"{sts}-{k}.{service}.{NAMESPACE}.svc:{base + k}" for k in range(REPLICAS)]
    # promtool accepts it, with the project's alert rules where the config expects them.
    (tmp_path / "rules").mkdir()
    shutil.copy(ALERTS, tmp_path / "rules" / "alerts.yml")
    (tmp_path / "prometheus.yml").write_text(config_text)
    check = subprocess.run(
        [tool("promtool"), "check", "config", str(tmp_path / "prometheus.yml")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr


# --- the pods, emulated on loopback --------------------------------------------------------------


def k8s_expand(text: str, env: dict[str, str]) -> str:
    """Kubernetes' expansion of command, args and env values: `$(NAME)` becomes the value of a
    variable defined for the container, `$$` a literal `$`; anything else stays as it is."""
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == "$" and i + 1 < len(text):
            if text[i + 1] == "$":
                out.append("$")
                i += 2
                continue
            if text[i + 1] == "(":
                close = text.find(")", i + 2)
                if close != -1:
                    name = text[i + 2 : close]
                    out.append(env.get(name, text[i : close + 1]))
                    i = close + 1
                    continue
        out.append(text[i])
        i += 1
    return "".join(out)


@dataclass
class EmulatedPod:
    """Pod k: its name, its IP (a loopback address), its volumes (directories)."""

    ordinal: int
    root: Path

    @property
    def name(self) -> str:
        return f"{STATEFULSET['metadata']['name']}-{self.ordinal}"

    @property
    def ip(self) -> str:
        return f"127.0.0.{2 + self.ordinal}"

    def volume(self, name: str) -> Path:
        path = self.root / self.name / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def localize(self, c: Manifest, text: str) -> str:
        """`text` with each of the container's mount paths replaced by this pod's directory for
        that volume (in one pass: a replacement is never replaced again)."""
        mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
        if not mounts:
            return text
        paths = "|".join(re.escape(p) for p in sorted(mounts, key=len, reverse=True))
        pattern = re.compile(rf"(?<![\w./-])({paths})(?![\w.-])")
        return pattern.sub(lambda m: str(self.volume(mounts[m.group(1)])), text)

    def env(self, c: Manifest, overrides: dict[str, str]) -> dict[str, str]:
        """The container's environment as the kubelet builds it, then `overrides`."""
        fields = {
            "metadata.name": self.name,
            "metadata.namespace": NAMESPACE,
            "status.podIP": self.ip,
        }
        env: dict[str, str] = {}
        for source in c.get("envFrom", []):
            env.update(configmap(source["configMapRef"]["name"]))
        for var in c.get("env", []):
            if "value" in var:
                env[var["name"]] = k8s_expand(var["value"], env)
            else:
                env[var["name"]] = fields[var["valueFrom"]["fieldRef"]["fieldPath"]]
        env.update(overrides)
        env = {name: self.localize(c, value) for name, value in env.items()}
        # The rest of this machine's environment, minus any setting of the test run's own.
        base = {k: v for k, v in os.environ.items() if not k.startswith(("SNIFFER_", "BYTEWAX_"))}
        # `python` in the image is this virtualenv's here.
        base["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
        return {**base, **env}

    def argv(self, c: Manifest, env: dict[str, str]) -> list[str]:
        return [self.localize(c, k8s_expand(str(a), env)) for a in c["command"] + c.get("args", [])]

    def run_init(self, c: Manifest, overrides: dict[str, str]) -> str:
        env = self.env(c, overrides)
        done = subprocess.run(
            self.argv(c, env),
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, f"{self.name} {c['name']}: {done.stderr}"
        return done.stdout

    def start(
        self, overrides: dict[str, str], started: list[subprocess.Popen[bytes]], phase: str
    ) -> RunningPod:
        env = self.env(MAIN, overrides)
        logs = self.root / self.name / f"logs-{phase}"
        logs.mkdir(parents=True)
        with (logs / "stdout").open("wb") as out, (logs / "stderr").open("wb") as err:
            proc = subprocess.Popen(
                self.argv(MAIN, env),
                env=env,
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
            )
        started.append(proc)
        return RunningPod(self, proc, logs)


@dataclass
class RunningPod:
    pod: EmulatedPod
    proc: subprocess.Popen[bytes]
    logs: Path

    def stderr(self) -> str:
        return (self.logs / "stderr").read_text(errors="replace")

    def candidates(self) -> list[dict[str, Any]]:
        lines = (self.logs / "stdout").read_bytes().splitlines()
        return [orjson.loads(line) for line in lines if line.startswith(b"{")]

    def terminate(self) -> None:
        """What the kubelet does on pod deletion: SIGTERM, once (a second one means "stop at
        once" to the job)."""
        self.proc.send_signal(signal.SIGTERM)

    def stopped(self) -> dict[str, Any]:
        """Wait for the exit, within the grace period; the final snapshot."""
        returncode = self.proc.wait(timeout=POD["terminationGracePeriodSeconds"])
        assert returncode == 0, f"{self.pod.name} exited {returncode}:\n{self.stderr()[-3000:]}"
        snapshot: dict[str, Any] = orjson.loads(self.stderr().strip().splitlines()[-1])
        return snapshot


def counting(url: str) -> dict[str, Any] | None:
    snapshot = try_get_json(url)
    return snapshot if snapshot and snapshot["tx_seen"] > 0 else None


def run_phase(
    pods: list[EmulatedPod],
    overrides: dict[str, str],
    started: list[subprocess.Popen[bytes]],
    phase: str,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Init containers, then the job in every pod until each counts transactions, then SIGTERM
    to every pod (as `kubectl scale --replicas=0` does). The final snapshots and candidates."""
    cluster_port = overrides["CLUSTER_PORT"]
    sts, service = STATEFULSET["metadata"]["name"], SERVICE["metadata"]["name"]
    for pod in pods:
        written = pod.run_init(HOSTFILE_INIT, overrides).split()
        assert written == [
            f"{pod.ip if k == pod.ordinal else f'{sts}-{k}.{service}'}:{cluster_port}"
            for k in range(len(pods))
        ]
        # Cluster DNS, emulated: the peers' names become their (loopback) pod IPs.
        hostfile = Path(pod.localize(MAIN, literal_env(MAIN)["BYTEWAX_HOSTFILE_PATH"]))
        text = hostfile.read_text()
        for peer in pods:
            text = text.replace(f"{sts}-{peer.ordinal}.{service}:", f"{peer.ip}:")
        hostfile.write_text(text)
        pod.run_init(RECOVERY_INIT, overrides)
    running = [pod.start(overrides, started, phase) for pod in pods]
    metrics_port = int(overrides["SNIFFER_METRICS_PORT"])
    for k, member in enumerate(running):
        wait_for(
            partial(counting, f"http://127.0.0.1:{metrics_port + k}/snapshot"),
            f"{member.pod.name} counting transactions on its metrics port",
            diagnostics=lambda: "\n".join(m.stderr()[-2000:] for m in running),
        )
    for member in running:
        member.terminate()
    snapshots = [member.stopped() for member in running]
    for k, member in enumerate(running):
        log = member.stderr()
        # The job found its process id in the pod name, and serves on metrics_port + k.
        assert f"starting: process {k}," in log, log[-2000:]
        assert f"metrics on http://0.0.0.0:{metrics_port + k}/metrics" in log, log[-2000:]
    candidates = [c for member in running for c in member.candidates()]
    return snapshots, candidates


@pytest.mark.e2e
def test_two_pods_emulated_on_loopback_run_stop_gracefully_and_resume(
    tmp_path: Path, started: list[subprocess.Popen[bytes]]
) -> None:
    pods = [EmulatedPod(k, tmp_path) for k in range(REPLICAS)]
    overrides = {
        # Free ports here (in Kubernetes every pod has its own IP and ports).
        "SNIFFER_METRICS_PORT": str(free_port_run(REPLICAS)),
        "CLUSTER_PORT": str(free_port()),
        # Enough launches in a second or two that both runs have candidates.
        "SNIFFER_SYNTHETIC_RATE": "1000",
        "SNIFFER_SYNTHETIC_LAUNCH_RATIO": "0.2",
    }
    first, first_candidates = run_phase(pods, overrides, started, "first")
    second, second_candidates = run_phase(pods, overrides, started, "second")

    for snapshots in (first, second):
        assert all(s["tx_seen"] > 0 for s in snapshots), snapshots
        total = {key: sum(s[key] for s in snapshots) for key in SNAPSHOT_KEYS}
        assert conservation_problems(total) == []
    # Each pod created its own recovery partition once and resumed from it the second time.
    for pod in pods:
        parts = sorted(p.name for p in pod.volume("state").rglob("part-*.sqlite3"))
        assert parts == [f"part-{pod.ordinal}.sqlite3"]
    # Resumed, not restarted: the sources went on where they stopped (a fresh start would emit
    # the same transactions, and so the same candidates, again), and the counters of the process
    # that sends were restored.
    assert first_candidates and second_candidates
    signatures = [c["signature"] for c in first_candidates + second_candidates]
    assert len(signatures) == len(set(signatures))
    sender = max(range(REPLICAS), key=lambda k: first[k]["candidates_sent"])
    assert second[sender]["candidates_sent"] > first[sender]["candidates_sent"]
