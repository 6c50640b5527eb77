"""Small builders for the records the flow carries, for tests."""

from __future__ import annotations

from domain.models import HIGH, PUMP_FUN, Batch, Candidate, Launch


def make_launch(n: int = 0, **overrides: object) -> Launch:
    fields: dict[str, object] = {
        "signature": f"sig{n}",
        "slot": 1000 + n,
        "launchpad": PUMP_FUN,
        "mint": f"mint{n}",
        "creator": f"creator{n}",
        "name": f"Token {n}",
        "symbol": f"T{n}",
        "uri": f"https://ipfs.io/ipfs/cid{n}",
        "initial_buy_sol": 1.0,
        "arrived_at": 1_800_000_000.0 + n,
        "detected_at": 1_800_000_000.0 + n,
    }
    fields.update(overrides)
    return Launch(**fields)  # type: ignore[arg-type]


def make_batch(ns: range | list[int], priority: str = HIGH, score: float = 0.9) -> Batch:
    candidates = tuple(Candidate(make_launch(n), score, priority) for n in ns)
    return Batch(priority, candidates, opened_at=candidates[0].launch.arrived_at)
