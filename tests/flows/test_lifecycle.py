"""What the job opens is closed on every way the job can end: the end of the stream, a graceful
SIGTERM and a failing step (the real job in a subprocess, its closes reported on stderr), and
the process's closer on its own."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from fakechain import generate_range
from flows.lifecycle import Closer
from tests.jobs import ROOT, job_env, wait_for_lines

#: They run the real job in a subprocess.
pytestmark = pytest.mark.e2e


class _Thing:
    def __init__(self, log: list[str], name: str, fail: bool = False) -> None:
        self._log, self._name, self._fail = log, name, fail

    def open(self) -> None:
        self._log.append(f"open {self._name}")

    def close(self) -> None:
        self._log.append(f"close {self._name}")
        if self._fail:
            raise RuntimeError("boom")


def test_the_closer_opens_and_closes_newest_first_even_past_a_failure() -> None:
    log: list[str] = []
    closer = Closer()
    first = closer.open(_Thing(log, "a"))
    closer.open(_Thing(log, "b", fail=True))
    assert isinstance(first, _Thing) and log == ["open a", "open b"]
    closer.close_all()
    closer.close_all()  # nothing left: each is closed once
    assert log == ["open a", "open b", "close b", "close a"]


def _replay_file(tmp_path: Path, total: int) -> Path:
    path = tmp_path / "frames.jsonl"
    lines = [tx.payload for tx in generate_range(5, total, 0.5)] + [b"not json: a dead letter"]
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def _start(settings: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.flows.lifecycle_job"],
        cwd=ROOT,
        env=job_env(settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _closes(stderr: str) -> set[str]:
    return {line.split(": ", 1)[1] for line in stderr.splitlines() if line.startswith("closed: ")}


@pytest.mark.parametrize("ending", ["end_of_stream", "failing_step"])
def test_the_files_are_closed_when_the_job_ends(tmp_path: Path, ending: str) -> None:
    settings = {
        "SNIFFER_SOURCE": "replay",
        "SNIFFER_REPLAY_PATH": str(_replay_file(tmp_path, 200)),
        "SNIFFER_SINK": "jsonl",
        "SNIFFER_SINK_PATH": str(tmp_path / "out.jsonl"),
        "SNIFFER_DEAD_LETTER_PATH": str(tmp_path / "dead.jsonl"),
    }
    if ending == "failing_step":
        settings["LIFECYCLE_FAIL"] = "1"
    proc = _start(settings)
    _stdout, stderr = proc.communicate(timeout=120)
    if ending == "failing_step":
        assert proc.returncode != 0 and "a failing step, on purpose" in stderr
    else:
        assert proc.returncode == 0, stderr[-2000:]
        assert (tmp_path / "dead.jsonl").read_text().count("\n") == 1
    assert _closes(stderr) == {"jsonl", "dead_letter"}, stderr[-2000:]


def test_the_files_are_closed_after_sigterm(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    proc = _start(
        {
            "SNIFFER_SOURCE": "synthetic",
            "SNIFFER_SYNTHETIC_RATE": "200",
            "SNIFFER_SYNTHETIC_LAUNCH_RATIO": "0.5",
            "SNIFFER_SINK": "jsonl",
            "SNIFFER_SINK_PATH": str(out),
            "SNIFFER_DEAD_LETTER_PATH": str(tmp_path / "dead.jsonl"),
        }
    )
    wait_for_lines(out, 5, proc)
    proc.send_signal(signal.SIGTERM)
    _stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr[-2000:]
    assert _closes(stderr) == {"jsonl", "dead_letter"}, stderr[-2000:]
