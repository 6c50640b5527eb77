"""The `sniffer` console script is the job with every `bytewax.run` flag: `sniffer -w 2` prints
what `python -m bytewax.run flows.sniffer -w 2` prints."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from localcluster.jobrun import run_command
from tests.deploy.support import PROJECT
from tests.jobs import finite_synthetic, run_job, without_time

pytestmark = pytest.mark.e2e

SETTINGS = finite_synthetic(3000, partitions=2)


def sniffer_command(*args: str) -> list[str]:
    """The installed script when it is on PATH (after `pip install -e .`), else the module it
    calls, the same way."""
    script = shutil.which("sniffer")
    return [*([script] if script else [sys.executable, "-m", "localcluster.cli"]), *args]


def test_the_console_script_is_declared() -> None:
    assert PROJECT["scripts"] == {"sniffer": "localcluster.cli:main"}


def test_sniffer_runs_the_job_with_bytewax_run_flags() -> None:
    via_script = run_command(sniffer_command("-w", "2"), SETTINGS)
    via_module = run_job(SETTINGS, "-w", "2")
    for result in (via_script, via_module):
        assert result.assert_conserved()["tx_seen"] == 3000
    key = lambda c: c["signature"]  # noqa: E731
    assert sorted(map(without_time, via_script.candidates), key=key) == sorted(
        map(without_time, via_module.candidates), key=key
    )


def test_sniffer_flags_are_bytewax_runs() -> None:
    shown = subprocess.run(
        sniffer_command("--help"), capture_output=True, text=True, timeout=60, check=True
    ).stdout
    for flag in ("-w", "-i", "-a", "-r", "-s", "-b"):
        assert f" {flag} " in shown or f"[{flag} " in shown, flag
    # bytewax.run's own checks: a process id needs the addresses.
    refused = run_command(sniffer_command("-i", "1"), SETTINGS, timeout=60)
    assert refused.returncode == 2
    assert "addresses option is required" in refused.stderr
