"""The job's ends: importing the job loads only the connectors its configuration names, and a
connector whose optional dependency is missing stops the job with exit 2 and one line."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.jobs import ROOT, job_env

#: They run the real job in a subprocess.
pytestmark = pytest.mark.e2e

CLIENT_LIBRARIES = ("confluent_kafka", "redis", "httpx", "websockets")

IMPORT_THE_JOB = f"""
import sys
import flows.sniffer
print(sorted(m for m in {CLIENT_LIBRARIES!r} if m in sys.modules))
"""

#: The real job, with one module made unimportable (as if its extra were not installed).
RUN_WITHOUT = """
import runpy, sys
sys.modules[sys.argv[1]] = None
sys.argv = ["bytewax.run", "flows.sniffer"]
runpy.run_module("bytewax.run", run_name="__main__", alter_sys=True)
"""


def _python(code: str, settings: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env=job_env(settings),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_importing_the_job_loads_no_client_library_it_does_not_use() -> None:
    done = _python(IMPORT_THE_JOB, {"SNIFFER_SYNTHETIC_TOTAL": "1"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines()[-1] == "[]"


def test_a_redis_source_loads_redis_and_nothing_else() -> None:
    settings = {"SNIFFER_SOURCE": "redis", "SNIFFER_SOURCE_URL": "redis://127.0.0.1:9/0"}
    done = _python(IMPORT_THE_JOB, settings)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines()[-1] == "['redis']"


@pytest.mark.parametrize(
    ("settings", "module", "line"),
    [
        (
            {"SNIFFER_SINK": "kafka", "SNIFFER_SINK_URL": "127.0.0.1:9"},
            "confluent_kafka",
            "sniffer: sink=kafka needs the optional dependency confluent-kafka: "
            "pip install 'premint-sniffer[kafka]'",
        ),
        (
            {"SNIFFER_SOURCE": "redis", "SNIFFER_SOURCE_URL": "redis://127.0.0.1:9/0"},
            "redis",
            "sniffer: source=redis needs the optional dependency redis: "
            "pip install 'premint-sniffer[redis]'",
        ),
        (
            {"SNIFFER_SINK": "webhook", "SNIFFER_SINK_URL": "http://127.0.0.1:9/hook"},
            "httpx",
            "sniffer: sink=webhook needs the optional dependency httpx: "
            "pip install 'premint-sniffer[webhook]'",
        ),
        (
            {"SNIFFER_SOURCE": "solana_ws", "SNIFFER_WS_URL": "ws://127.0.0.1:9/"},
            "websockets",
            "sniffer: source=solana_ws needs the optional dependency websockets: "
            "pip install 'premint-sniffer[ws]'",
        ),
    ],
)
def test_a_missing_extra_exits_2_with_one_line_naming_it(
    settings: dict[str, str], module: str, line: str
) -> None:
    done = _python(RUN_WITHOUT, settings, module)
    assert done.returncode == 2, done.stderr[-2000:]
    assert [text for text in done.stderr.splitlines() if text.startswith("sniffer:")] == [line]
    assert "Traceback" not in done.stderr
