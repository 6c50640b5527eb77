"""The Dockerfile agrees with deploy/kubernetes/: the image name and version, the user the pods
run as, the command (exec form), the ports the manifests use, and the extras the configuration's
connectors need. No image is built here; both files are parsed."""

from __future__ import annotations

import json
import re
import shlex

from tests.deploy.support import PROJECT, Manifest, load_manifests
from tests.jobs import ROOT

DOCKERFILE = ROOT / "Dockerfile"

#: The extra each source or sink needs (the families of pyproject's optional dependencies); the
#: others (synthetic, replay, stdout, jsonl, null) come with the base install.
EXTRA_OF = {
    "redis": "redis",
    "kafka": "kafka",
    "webhook": "webhook",
    "solana_ws": "ws",
    "yellowstone": "grpc",
}


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments left out."""
    found: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, args = (pending + line).partition(" ")
        found.append((keyword.upper(), args.strip()))
        pending = ""
    return found


def only(keyword: str) -> str:
    values = [args for kw, args in instructions() if kw == keyword]
    assert len(values) == 1, f"expected one {keyword}, found {values}"
    return values[0]


MANIFEST_SET = load_manifests()
(STATEFULSET,) = [doc for (kind, _), doc in MANIFEST_SET.items() if kind == "StatefulSet"]
POD: Manifest = STATEFULSET["spec"]["template"]["spec"]
(MAIN,) = [c for c in POD["containers"] if c["name"] == "sniffer"]


def settings() -> dict[str, str]:
    (source,) = MAIN["envFrom"]
    return dict(MANIFEST_SET[("ConfigMap", source["configMapRef"]["name"])]["data"])


def test_base_image_and_labels_name_the_image_the_manifests_run() -> None:
    assert only("FROM") == "python:3.11-slim"
    labels = dict(re.findall(r'(\S+?)="([^"]*)"', only("LABEL")))
    image = "{}:{}".format(
        labels["org.opencontainers.image.title"], labels["org.opencontainers.image.version"]
    )
    assert image == f"{PROJECT['name']}:{PROJECT['version']}" == "premint-sniffer:0.1.0"
    every = [c["image"] for c in POD.get("initContainers", []) + POD["containers"]]
    assert set(every) == {image}


def test_the_user_is_the_one_the_pods_run_as() -> None:
    user, _, group = only("USER").partition(":")
    assert user == "10001"
    security = POD["securityContext"]
    assert (int(user), int(group or user)) == (security["runAsUser"], security["runAsGroup"])
    assert security["runAsNonRoot"] is True


def test_the_command_is_exec_form_and_the_one_the_manifest_runs() -> None:
    command = json.loads(only("CMD"))  # exec form: a JSON array, no shell in between
    assert isinstance(command, list)
    assert command == MAIN["command"]
    assert "ENTRYPOINT" not in dict(instructions())


def test_exposed_ports_are_the_ports_the_manifests_use() -> None:
    exposed = {int(port.split("/")[0]) for port in only("EXPOSE").split()}
    cluster = {p["containerPort"] for p in MAIN["ports"]}
    (service,) = [doc for (kind, _), doc in MANIFEST_SET.items() if kind == "Service"]
    assert {p["port"] for p in service["spec"]["ports"]} <= cluster
    # Process k serves its metrics on SNIFFER_METRICS_PORT + k.
    base = int(settings()["SNIFFER_METRICS_PORT"])
    metrics = {base + k for k in range(int(STATEFULSET["spec"]["replicas"]))}
    assert exposed == cluster | metrics


def installed_extras() -> set[str]:
    """The extras of the one `pip install` of the project the Dockerfile runs."""
    installs = []
    for keyword, args in instructions():
        if keyword != "RUN":
            continue
        for command in re.split(r"&&|;", args):
            words = shlex.split(command)
            if words[:2] == ["pip", "install"] or words[:4] == ["python", "-m", "pip", "install"]:
                installs += [w for w in words if w.startswith("/src")]
    assert len(installs) == 1, installs
    match = re.fullmatch(r"/src(?:\[([^\]]*)\])?", installs[0])
    assert match is not None, installs[0]
    return {extra.strip() for extra in (match.group(1) or "").split(",") if extra.strip()}


def test_installed_extras_are_those_the_configured_connectors_need() -> None:
    config = settings()
    needed = {
        EXTRA_OF[config[name]]
        for name in ("SNIFFER_SOURCE", "SNIFFER_SINK")
        if config.get(name) in EXTRA_OF
    }
    assert installed_extras() == needed
    assert needed <= set(PROJECT["optional-dependencies"])


def test_every_connector_family_has_its_extra_and_dev_pulls_them_all() -> None:
    extras = PROJECT["optional-dependencies"]
    assert set(EXTRA_OF.values()) <= set(extras)
    (itself,) = [d for d in extras["dev"] if d.startswith(f"{PROJECT['name']}[")]
    assert set(itself[len(PROJECT["name"]) + 1 : -1].split(",")) == set(EXTRA_OF.values())
