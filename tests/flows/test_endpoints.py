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


#: Per optional extra: the setting that needs it, its URL setting and value, the module that is
#: hidden, the distribution and the extra named in the one line printed.
MISSING_EXTRAS = [
    ("SINK", "kafka", "SINK_URL", "127.0.0.1:9", "confluent_kafka", "confluent-kafka", "kafka"),
    ("SOURCE", "redis", "SOURCE_URL", "redis://127.0.0.1:9/0", "redis", "redis", "redis"),
    ("SINK", "webhook", "SINK_URL", "http://127.0.0.1:9/hook", "httpx", "httpx", "webhook"),
    ("SOURCE", "solana_ws", "WS_URL", "ws://127.0.0.1:9/", "websockets", "websockets", "ws"),
]


@pytest.mark.parametrize(
    ("role", "value", "url_setting", "url", "module", "dependency", "extra"), MISSING_EXTRAS
)
def test_a_missing_extra_exits_2_with_one_line_naming_it(
    role: str, value: str, url_setting: str, url: str, module: str, dependency: str, extra: str
) -> None:
    settings = {f"SNIFFER_{role}": value, f"SNIFFER_{url_setting}": url}
    line = (
        f"sniffer: {role.lower()}={value} needs the optional dependency {dependency}: "
        f"pip install 'premint-sniffer[{extra}]'"
    )
    done = _python(RUN_WITHOUT, settings, module)
    assert done.returncode == 2, done.stderr[-2000:]
    assert [text for text in done.stderr.splitlines() if text.startswith("sniffer:")] == [line]
    assert "Traceback" not in done.stderr
