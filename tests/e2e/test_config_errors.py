"""An invalid configuration stops the real job before the dataflow starts: exit 2, one line per
problem, no traceback, nothing on stdout."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.jobs import run_job

pytestmark = pytest.mark.e2e


def test_invalid_configuration_exits_2_with_one_line_per_problem(tmp_path: Path) -> None:
    result = run_job(
        {
            "SNIFFER_BATCH_SIZE": "0",
            "SNIFFER_DROP_POLICY": "sometimes",
            "SNIFFER_SOURCE": "replay",
        },
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 3, lines
    assert all(line.startswith("sniffer: configuration error: ") for line in lines)
    joined = "\n".join(lines)
    assert "batch_size='0'" in joined
    assert "drop_policy='sometimes'" in joined
    assert "source=replay needs replay_path" in joined


def test_unknown_setting_and_missing_file(tmp_path: Path) -> None:
    result = run_job(
        {"SNIFFER_BATCHSIZE": "8", "SNIFFER_CONFIG": str(tmp_path / "nope.toml")}, timeout=60
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2, lines


def test_an_unknown_launchpad_is_named_with_the_known_ones() -> None:
    result = run_job({"SNIFFER_LAUNCHPADS": "pump_fun,pumpfun"}, timeout=60)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("sniffer: configuration error: launchpads='pumpfun': not a launchpad")
    assert "pump_fun" in line and "raydium_launchlab" in line
