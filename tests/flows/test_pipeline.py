"""The whole dataflow in-process, single worker and two workers, checked against the synthetic
source's ground truth: every launch comes out exactly once with the fields its logs show, and
both conservation laws hold."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import orjson
from bytewax.testing import run_main
from prometheus_client import CollectorRegistry

from connectors.merged import MergedSource
from connectors.replay import ReplaySource
from domain.config import load_config
from domain.metrics import Metrics, conservation_problems
from domain.models import Batch
from fakechain import SyntheticSource, generate_range
from flows.endpoints import make_source
from flows.pipeline import build_flow
from tests.jobs import EntryPoint

TOTAL = 4000
SEED = 21
RATIO = 0.05


class Recording:
    def __init__(self) -> None:
        self.batches: list[Batch] = []

    def send(self, batch: Batch) -> None:
        self.batches.append(batch)

    def close(self) -> None:
        pass


def run_pipeline(
    entry_point: EntryPoint, partitions: int = 2, **settings: str
) -> tuple[list[Batch], Metrics]:
    env = {f"SNIFFER_{k.upper()}": v for k, v in settings.items()}
    config = load_config(env)
    metrics = Metrics(CollectorRegistry(), capacity=config.stream_buffer_capacity)
    transport = Recording()
    source = SyntheticSource(
        total=TOTAL, seed=SEED, launch_ratio=RATIO, partitions=partitions, batch_size=128
    )
    entry_point(build_flow(config, metrics, source=source, transport=transport))
    return transport.batches, metrics


def truth(partitions: int = 2) -> dict[str, dict[str, Any]]:
    expected = {}
    for tx in generate_range(SEED, TOTAL, RATIO, partitions=partitions):
        if tx.is_launch:
            assert tx.launch is not None
            expected[tx.signature] = {
                "slot": tx.slot,
                "launchpad": tx.launch.launchpad,
                "mint": tx.launch.mint,
                "creator": tx.launch.creator,
                "name": tx.launch.name,
                "symbol": tx.launch.symbol,
                "uri": tx.launch.uri,
                "initial_buy_sol": tx.launch.initial_buy_sol,
            }
    return expected


def test_every_launch_exactly_once_with_its_fields(entry_point: EntryPoint) -> None:
    batches, metrics = run_pipeline(entry_point)
    out = [c.to_json() for b in batches for c in b.candidates]
    got = {c["signature"]: {k: c[k] for k in truth_keys()} for c in out}
    assert len(got) == len(out), "a candidate came out twice"
    assert got == truth()
    snap = metrics.snapshot()
    assert conservation_problems(snap) == []
    assert snap["tx_seen"] == TOTAL
    assert snap["candidates_sent"] == len(out)
    assert all(0 < len(b.candidates) <= 16 for b in batches)
    assert all({c.priority for c in b.candidates} == {b.priority} for b in batches)
    assert {c["source"] for c in out} == {"synthetic"}


def test_the_launchpads_setting_restricts_detection(entry_point: EntryPoint) -> None:
    batches, metrics = run_pipeline(entry_point, launchpads="pump_fun, pump_swap")
    out = [c.to_json() for b in batches for c in b.candidates]
    wanted = {"pump_fun", "pump_swap"}
    expected = {s for s, t in truth().items() if t["launchpad"] in wanted}
    assert expected and len(expected) < len(truth())  # the stream holds launches of others too
    assert {c["signature"] for c in out} == expected
    snap = metrics.snapshot()
    # A launch of a launchpad left out is an ordinary transaction: seen, ignored.
    assert conservation_problems(snap) == []
    assert snap["tx_seen"] == TOTAL
    assert snap["candidates_sent"] == len(expected)


def truth_keys() -> list[str]:
    return ["slot", "launchpad", "mint", "creator", "name", "symbol", "uri", "initial_buy_sol"]


def test_scores_do_not_depend_on_worker_count(entry_point: EntryPoint) -> None:
    batches, _ = run_pipeline(entry_point)
    reference, _ = run_pipeline(run_main)

    def scores(bs: list[Batch]) -> dict[str, tuple[float, str]]:
        return {c.launch.signature: (c.score, c.priority) for b in bs for c in b.candidates}

    assert scores(batches) == scores(reference)


def test_filters_reject_and_count(entry_point: EntryPoint) -> None:
    batches, metrics = run_pipeline(
        entry_point,
        filter_min_initial_buy_sol="0.5",
        filter_serial_max_launches="1",
        filter_symbol_patterns='["^[A-Z]+$"]',
    )
    out = [c for b in batches for c in b.candidates]
    snap = metrics.snapshot()
    assert conservation_problems(snap) == []
    assert snap["candidates_rejected"] > 0
    for reason in ("initial_buy_unknown", "initial_buy_below_band", "symbol_pattern"):
        value = metrics.registry.get_sample_value(
            "sniffer_candidates_rejected_total", {"reason": reason}
        )
        assert value and value > 0, reason
    assert all(c.launch.initial_buy_sol is not None for c in out)
    assert all(c.launch.initial_buy_sol >= 0.5 for c in out)  # type: ignore[operator]
    assert not any(re.fullmatch("[A-Z]+", c.launch.symbol or "") for c in out)


def test_serial_launchers_are_limited(entry_point: EntryPoint) -> None:
    batches, metrics = run_pipeline(entry_point, filter_serial_max_launches="2")
    out = [c for b in batches for c in b.candidates]
    assert conservation_problems(metrics.snapshot()) == []
    rejected = metrics.registry.get_sample_value(
        "sniffer_candidates_rejected_total", {"reason": "serial_launcher"}
    )
    assert rejected and rejected > 0
    per_creator: dict[str | None, int] = {}
    for c in out:
        per_creator[c.launch.creator] = per_creator.get(c.launch.creator, 0) + 1
    per_creator.pop(None, None)  # logs-only Raydium launches have no creator to limit
    assert max(per_creator.values()) <= 2


def test_garbage_is_counted_and_dead_lettered_without_stopping(
    entry_point: EntryPoint, tmp_path: Path
) -> None:
    from connectors.replay import ReplaySource

    frames = tmp_path / "frames.jsonl"
    good = [tx.payload for tx in generate_range(SEED, 500, 0.2)]
    garbage = [b"{", b"[]", b'{"jsonrpc":"2.0","result":5,"id":1}', b"\x00\x01", b"null"]
    frames.write_bytes(b"\n".join(good[:250] + garbage + good[250:]) + b"\n")
    dead = tmp_path / "dead.jsonl"
    config = load_config({"SNIFFER_DEAD_LETTER_PATH": str(dead)})
    metrics = Metrics(CollectorRegistry())
    transport = Recording()
    entry_point(build_flow(config, metrics, source=ReplaySource(frames), transport=transport))
    snap = metrics.snapshot()
    assert conservation_problems(snap) == []
    assert snap["tx_seen"] == 505
    assert snap["tx_invalid"] == len(garbage)
    records = [orjson.loads(line) for line in dead.read_text().splitlines()]
    assert sorted(r["frame"] for r in records) == sorted(
        g.decode("utf-8", "replace") for g in garbage
    )
    expected = {tx.signature for tx in generate_range(SEED, 500, 0.2) if tx.is_launch}
    assert {c.launch.signature for b in transport.batches for c in b.candidates} == expected


def test_two_sources_side_by_side_give_each_launch_once_and_measure_the_race(
    entry_point: EntryPoint, tmp_path: Path
) -> None:
    # The synthetic stream, and a recording of the very same frames replayed beside it: every
    # transaction arrives twice, from two sources.
    recording = tmp_path / "same.jsonl"
    recording.write_bytes(
        b"".join(tx.payload + b"\n" for tx in generate_range(SEED, TOTAL, RATIO, partitions=2))
    )
    config = load_config({"SNIFFER_SOURCE": "synthetic,replay", "SNIFFER_REPLAY_PATH": "x"})
    assert config.source == ["synthetic", "replay"]
    metrics = Metrics(CollectorRegistry(), capacity=config.stream_buffer_capacity)
    source = MergedSource(
        {
            "synthetic": SyntheticSource(
                total=TOTAL, seed=SEED, launch_ratio=RATIO, partitions=2, batch_size=128
            ),
            "replay": ReplaySource(recording),
        }
    )
    transport = Recording()
    entry_point(build_flow(config, metrics, source=source, transport=transport))

    out = [c.to_json() for b in transport.batches for c in b.candidates]
    assert sorted(c["signature"] for c in out) == sorted(truth())  # each launch once
    snap = metrics.snapshot()
    assert conservation_problems(snap) == []
    assert snap["tx_seen"] == 2 * TOTAL
    firsts = {
        name: metrics.registry.get_sample_value("sniffer_source_first_total", {"source": name})
        or 0.0
        for name in ("synthetic", "replay")
    }
    # Every launch that passed dedup was first from exactly one source (the filters come after).
    assert sum(firsts.values()) == snap["candidates_detected"] + snap["candidates_rejected"]
    assert {c["source"] for c in out} <= {"synthetic", "replay"}
    late = sum(
        metrics.registry.get_sample_value("sniffer_source_lag_seconds_count", {"source": n}) or 0
        for n in ("synthetic", "replay")
    )
    # Every launch was also delivered by the other source, later (once more for a launch the
    # stream itself repeats; copies within one source are no lag).
    assert late >= sum(firsts.values())


def test_several_sources_become_one_input_with_every_partition() -> None:
    config = load_config(
        {"SNIFFER_SOURCE": '["synthetic", "replay"]', "SNIFFER_REPLAY_PATH": "/dev/null",
         "SNIFFER_SYNTHETIC_PARTITIONS": "2"}
    )  # fmt: skip
    source = make_source(config, Metrics(CollectorRegistry()))
    assert isinstance(source, MergedSource)
    assert source.list_parts() == ["synthetic/synthetic-0", "synthetic/synthetic-1",
                                   "replay/replay-0"]  # fmt: skip
