"""The real job on a finite synthetic stream: what a user sees on stdout and stderr."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from tests.jobs import CANDIDATE_KEYS, JobResult, finite_synthetic, run_job, without_time

pytestmark = pytest.mark.e2e

SETTINGS = finite_synthetic(6000, seed=7, partitions=2)


@pytest.fixture(scope="module")
def one_worker() -> JobResult:
    return run_job(SETTINGS)


def check_run(result: JobResult) -> None:
    snap = result.assert_conserved()
    assert snap["tx_seen"] == 6000
    assert snap["candidates_sent"] == len(result.candidates) == snap["candidates_detected"]
    assert all(list(c) == CANDIDATE_KEYS for c in result.candidates)
    signatures = [c["signature"] for c in result.candidates]
    pairs = [(c["mint"], c["event"]) for c in result.candidates if c["mint"] is not None]
    assert len(signatures) == len(set(signatures)), "a signature became a candidate twice"
    assert len(pairs) == len(set(pairs)), "a (mint, event) pair became a candidate twice"
    assert {c["source"] for c in result.candidates} == {"synthetic"}


def test_finite_stream_ends_drained_and_conserved(one_worker: JobResult) -> None:
    check_run(one_worker)
    snap = one_worker.snapshot
    # The synthetic stream has launches of every kind, failed launches and duplicate deliveries.
    assert snap["candidates_detected"] > 200
    assert snap["duplicates"] > 0
    assert snap["tx_ignored"] > snap["candidates_detected"]
    launchpads = {c["launchpad"] for c in one_worker.candidates}
    assert {"pump_fun", "raydium_amm_v4", "pump_swap"} <= launchpads
    # graduations: a token's create, then its pool, both candidates
    created = {c["mint"] for c in one_worker.candidates if c["event"] == "create"}
    assert any(c["event"] == "pool" and c["mint"] in created for c in one_worker.candidates), (
        "no graduation of a token the job saw created"
    )
    assert {c["priority"] for c in one_worker.candidates} == {"HIGH", "LOW"}
    # stdout holds candidates only (run_job parsed every line as one); the logs went to stderr.
    assert " INFO " in one_worker.stderr


def test_two_workers_or_two_processes_deliver_exactly_the_same_candidates(
    one_worker: JobResult, job_topology: Callable[[dict[str, str]], JobResult]
) -> None:
    two = job_topology(SETTINGS)
    check_run(two)
    key = lambda c: c["signature"]  # noqa: E731
    assert sorted(map(without_time, two.candidates), key=key) == sorted(
        map(without_time, one_worker.candidates), key=key
    )


def test_same_seed_same_candidates_at_any_rate(one_worker: JobResult) -> None:
    throttled = run_job({**SETTINGS, "SNIFFER_SYNTHETIC_RATE": "20000"})
    check_run(throttled)
    # Two partitions interleave differently at another rate; each partition's order is kept.
    key = lambda c: c["signature"]  # noqa: E731
    assert sorted(map(without_time, throttled.candidates), key=key) == sorted(
        map(without_time, one_worker.candidates), key=key
    )
    other_seed = run_job({**SETTINGS, "SNIFFER_SYNTHETIC_SEED": "8"})
    check_run(other_seed)
    assert {c["signature"] for c in other_seed.candidates}.isdisjoint(
        c["signature"] for c in one_worker.candidates
    )


def test_detection_order_is_kept_within_a_priority(one_worker: JobResult) -> None:
    # With one partition the synthetic slots never go down, so within each priority the slots of
    # the candidates, in the order they were written, must not go down either.
    single = run_job({**SETTINGS, "SNIFFER_SYNTHETIC_PARTITIONS": "1"}, "-w", "2")
    check_run(single)
    for priority in ("HIGH", "LOW"):
        slots = [c["slot"] for c in single.candidates if c["priority"] == priority]
        assert slots == sorted(slots), priority


def test_jsonl_sink_and_filters(tmp_path: Path) -> None:
    out = tmp_path / "candidates.jsonl"
    result = run_job(
        {
            **SETTINGS,
            "SNIFFER_SINK": "jsonl",
            "SNIFFER_SINK_PATH": str(out),
            "SNIFFER_FILTER_MIN_INITIAL_BUY_SOL": "0.5",
            "SNIFFER_FILTER_SERIAL_MAX_LAUNCHES": "2",
        }
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout == ""
    result.assert_conserved()
    written = [orjson.loads(line) for line in out.read_text().splitlines()]
    assert len(written) == result.snapshot["candidates_sent"]
    assert result.snapshot["candidates_rejected"] > 0
    assert all(c["initial_buy_sol"] is not None and c["initial_buy_sol"] >= 0.5 for c in written)
