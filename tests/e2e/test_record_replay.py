"""Record mode: the raw frames of a run, teed to `record_path`, play back through the replay
source as they are, giving the same candidates."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.recorder import as_line
from tests.jobs import finite_synthetic, run_job, without_source

pytestmark = pytest.mark.e2e


def test_a_recorded_run_replays_to_the_same_candidates(tmp_path: Path) -> None:
    recorded = tmp_path / "frames.jsonl"
    live = run_job({**finite_synthetic(3000), "SNIFFER_RECORD_PATH": str(recorded)})
    live.assert_conserved()
    assert len(recorded.read_bytes().splitlines()) == 3000

    replayed = run_job({"SNIFFER_SOURCE": "replay", "SNIFFER_REPLAY_PATH": str(recorded)})
    replayed.assert_conserved()
    # The same candidates, in the same order within each priority (how HIGH and LOW batches
    # interleave on the way out depends on timing).
    for priority in ("HIGH", "LOW"):
        assert [without_source(c) for c in replayed.candidates if c["priority"] == priority] == [
            without_source(c) for c in live.candidates if c["priority"] == priority
        ]
    # Each names the source it came through.
    assert {c["source"] for c in live.candidates} == {"synthetic"}
    assert {c["source"] for c in replayed.candidates} == {"replay"}
    assert replayed.snapshot["tx_seen"] == live.snapshot["tx_seen"]


def test_a_frame_spanning_lines_is_recorded_as_one() -> None:
    assert as_line(b'{\n  "a": 1\n}') == b'{"a":1}'
    assert as_line(b"not\njson") == b"not json"
    assert as_line('{"ok":true}') == b'{"ok":true}'
