"""Filters: which launches survive, and which `candidates_rejected{reason}` counters move."""

from __future__ import annotations

import pickle
from collections.abc import Iterable

import bytewax.operators as op
import pytest
from bytewax.dataflow import Dataflow
from bytewax.testing import TestingSink, TestingSource
from prometheus_client import CollectorRegistry

from domain.metrics import Metrics
from domain.models import Launch
from operators.filters import (
    REJECT_REASONS,
    FilterLogic,
    FilterSettings,
    FilterState,
    LaunchRules,
    filter_launches,
)
from tests.factories import feed_each, named_launch
from tests.jobs import EntryPoint

#: One hour of chain time.
HOUR_SLOTS = 9000


def launch(
    signature: str = "sig",
    *,
    creator: str | None = "creator",
    name: str | None = "Token",
    symbol: str | None = "TKN",
    initial_buy_sol: float | None = 1.0,
    slot: int | None = 1000,
) -> Launch:
    return named_launch(
        signature,
        creator=creator,
        name=name,
        symbol=symbol,
        initial_buy_sol=initial_buy_sol,
        slot=slot,
    )


@pytest.fixture
def metrics() -> Metrics:
    return Metrics(CollectorRegistry())


def rejected(metrics: Metrics) -> dict[str, float]:
    """Every reason's count, so a test sees that nothing else moved."""
    counts = {}
    for reason in REJECT_REASONS:
        value = metrics.registry.get_sample_value(
            "sniffer_candidates_rejected_total", {"reason": reason}
        )
        assert value is not None, f"series for {reason} missing"
        counts[reason] = value
    return counts


def only(**counts: float) -> dict[str, float]:
    return {reason: counts.get(reason, 0.0) for reason in REJECT_REASONS}


def survivors(logic: FilterLogic, launches: Iterable[Launch]) -> list[str]:
    return [x.signature for x in feed_each(logic, launches)]


def test_defaults_pass_everything(metrics: Metrics) -> None:
    logic = FilterLogic(FilterSettings(), metrics)
    odd = [
        launch("a"),
        launch("b", creator=None, name=None, symbol=None, initial_buy_sol=None, slot=None),
        launch("c", initial_buy_sol=0.0),
        launch("d", initial_buy_sol=1e6),
        *(launch(f"same-creator-{i}", slot=1000 + i) for i in range(50)),
    ]
    assert survivors(logic, odd) == [x.signature for x in odd]
    assert rejected(metrics) == only()
    # Off means off: nothing is remembered either.
    assert logic.snapshot() == FilterState()


def test_reject_reasons_are_the_contract_labels() -> None:
    contract = "creator_denied name_pattern symbol_pattern initial_buy_unknown"
    contract += " initial_buy_below_band initial_buy_above_band serial_launcher"
    assert contract.split() == list(REJECT_REASONS)


def test_creator_deny_list(metrics: Metrics) -> None:
    logic = FilterLogic(FilterSettings(creator_deny=frozenset({"rugger"})), metrics)
    out = survivors(
        logic, [launch("a", creator="rugger"), launch("b", creator="honest"), launch("c")]
    )
    assert out == ["b", "c"]
    assert rejected(metrics) == only(creator_denied=1)


def test_name_and_symbol_patterns_search_anywhere(metrics: Metrics) -> None:
    config = FilterSettings(name_patterns=("(?i)test", "^x"), symbol_patterns=("SCAM",))
    logic = FilterLogic(config, metrics)
    out = survivors(
        logic,
        [
            launch("a", name="My TEST coin"),
            launch("b", name="xylophone"),
            launch("c", name="box"),
            launch("d", symbol="ASCAMX"),
            launch("e", name=None, symbol=None),
        ],
    )
    assert out == ["c", "e"]
    assert rejected(metrics) == only(name_pattern=2, symbol_pattern=1)


def test_initial_buy_band_includes_its_bounds(metrics: Metrics) -> None:
    config = FilterSettings(min_initial_buy_sol=0.5, max_initial_buy_sol=2.5)
    logic = FilterLogic(config, metrics)
    buys = {"a": 0.49, "b": 0.5, "c": 1.0, "d": 2.5, "e": 2.51, "f": None}
    out = survivors(logic, [launch(s, initial_buy_sol=b) for s, b in buys.items()])
    assert out == ["b", "c", "d"]
    assert rejected(metrics) == only(
        initial_buy_below_band=1, initial_buy_above_band=1, initial_buy_unknown=1
    )


def test_one_bound_alone_also_rejects_an_unknown_buy(metrics: Metrics) -> None:
    logic = FilterLogic(FilterSettings(max_initial_buy_sol=3.0), metrics)
    out = survivors(logic, [launch("a", initial_buy_sol=None), launch("b", initial_buy_sol=0.0)])
    assert out == ["b"]
    assert rejected(metrics) == only(initial_buy_unknown=1)


def test_a_launch_breaking_several_rules_is_counted_once(metrics: Metrics) -> None:
    config = FilterSettings(
        creator_deny=frozenset({"rugger"}), name_patterns=("rug",), min_initial_buy_sol=1.0
    )
    logic = FilterLogic(config, metrics)
    assert survivors(logic, [launch(creator="rugger", name="rug", initial_buy_sol=0.0)]) == []
    assert rejected(metrics) == only(creator_denied=1)


def test_launch_rules_alone_are_a_pure_function() -> None:
    rules = LaunchRules(FilterSettings(symbol_patterns=("^Z",)))
    assert rules.active
    assert rules.reject_reason(launch(symbol="ZZ")) == "symbol_pattern"
    assert rules.reject_reason(launch(symbol="AZ")) is None
    assert not LaunchRules(FilterSettings()).active


def serial_config(max_launches: int = 2, window_s: float = 3600.0) -> FilterSettings:
    return FilterSettings(serial_max_launches=max_launches, serial_window_s=window_s)


def test_serial_launcher_beyond_the_limit_within_the_window(metrics: Metrics) -> None:
    logic = FilterLogic(serial_config(max_launches=2), metrics)
    out = survivors(
        logic,
        [
            launch("a1", creator="A", slot=0),
            launch("b1", creator="B", slot=50),
            launch("a2", creator="A", slot=100),
            launch("a3", creator="A", slot=200),  # third within the hour
            launch("b2", creator="B", slot=300),
        ],
    )
    assert out == ["a1", "b1", "a2", "b2"]
    assert rejected(metrics) == only(serial_launcher=1)


def test_rejected_launches_count_toward_the_serial_history(metrics: Metrics) -> None:
    logic = FilterLogic(serial_config(max_launches=2), metrics)
    first = [launch(f"a{slot}", creator="A", slot=slot) for slot in (0, 100, 200)]
    assert survivors(logic, first) == ["a0", "a100"]
    # An hour after slot 100: slots 0 and 100 left the window, 200 (rejected) is still in it.
    assert survivors(logic, [launch("late1", creator="A", slot=100 + HOUR_SLOTS)]) == ["late1"]
    assert survivors(logic, [launch("late2", creator="A", slot=150 + HOUR_SLOTS)]) == []
    assert rejected(metrics) == only(serial_launcher=2)


def test_launches_rejected_by_another_rule_count_toward_the_serial_history(
    metrics: Metrics,
) -> None:
    config = FilterSettings(serial_max_launches=1, name_patterns=("spam",))
    logic = FilterLogic(config, metrics)
    out = survivors(
        logic, [launch("a", creator="A", name="spam", slot=0), launch("b", creator="A", slot=10)]
    )
    assert out == []
    assert rejected(metrics) == only(name_pattern=1, serial_launcher=1)


def test_unknown_creators_are_never_limited(metrics: Metrics) -> None:
    logic = FilterLogic(serial_config(max_launches=1), metrics)
    launches = [launch(f"s{i}", creator=None, slot=i) for i in range(5)]
    assert len(survivors(logic, launches)) == 5


def test_a_launch_without_slot_counts_at_the_creators_last_launch(metrics: Metrics) -> None:
    logic = FilterLogic(serial_config(max_launches=2), metrics)
    out = survivors(
        logic,
        [
            launch("a", creator="A", slot=0),
            launch("b", creator="A", slot=None),  # no time passed: still in the window
            launch("c", creator="A", slot=HOUR_SLOTS - 1),
        ],
    )
    assert out == ["a", "b"]


def test_serial_limit_uses_chain_time_not_arrival_time(metrics: Metrics) -> None:
    # Two launches an hour apart on chain arriving in the same instant are not serial.
    logic = FilterLogic(serial_config(max_launches=1), metrics)
    out = survivors(
        logic, [launch("a", creator="A", slot=0), launch("b", creator="A", slot=HOUR_SLOTS)]
    )
    assert out == ["a", "b"]


def test_tracked_creators_are_bounded_least_recently_active_first(metrics: Metrics) -> None:
    logic = FilterLogic(serial_config(max_launches=1), metrics, creator_capacity=2)
    survivors(logic, [launch(f"{c}1", creator=c, slot=0) for c in ("A", "B")])
    survivors(logic, [launch("A2", creator="A", slot=1)])  # A is now more recent than B
    survivors(logic, [launch("C1", creator="C", slot=2)])  # B is forgotten
    assert [creator for creator, _ in logic.snapshot().creators] == ["A", "C"]
    # B's history is gone, so B passes again; C, still tracked, is limited.
    assert survivors(logic, [launch("B2", creator="B", slot=3), launch("C2", creator="C")]) == [
        "B2"
    ]


def test_resume_from_snapshot_gives_the_uninterrupted_output(metrics: Metrics) -> None:
    config = serial_config(max_launches=2, window_s=40.0)  # 100 slots
    stream = [
        launch(f"s{i}", creator=f"c{i % 3}", slot=i * 20 if i % 5 else None) for i in range(40)
    ]
    uninterrupted = survivors(FilterLogic(config, metrics), stream)
    assert 0 < len(uninterrupted) < len(stream)

    first = FilterLogic(config, metrics)
    head = survivors(first, stream[:17])
    state = pickle.loads(pickle.dumps(first.snapshot()))
    tail = survivors(FilterLogic(config, metrics, state), stream[17:])

    assert head + tail == uninterrupted


def test_snapshot_is_an_immutable_copy(metrics: Metrics) -> None:
    logic = FilterLogic(serial_config(), metrics)
    survivors(logic, [launch("a", creator="A", slot=5)])
    before = logic.snapshot()
    survivors(logic, [launch("b", creator="A", slot=6)])
    assert before == FilterState((("A", (5,)),), 5)


# --- in a dataflow ---------------------------------------------------------------------------


def test_filters_in_a_dataflow(entry_point: EntryPoint, metrics: Metrics) -> None:
    config = FilterSettings(
        creator_deny=frozenset({"rugger"}), min_initial_buy_sol=0.5, serial_max_launches=2
    )
    stream = [
        launch("ok1", creator="A", slot=1),
        launch("denied", creator="rugger", slot=2),
        launch("cheap", creator="B", initial_buy_sol=0.1, slot=3),
        launch("ok2", creator="A", slot=4),
        launch("serial", creator="A", slot=5),
        launch("ok3", creator="B", slot=6),
    ]
    out: list[Launch] = []
    flow = Dataflow("filter_test")
    keyed = op.key_on("key", op.input("in", flow, TestingSource(stream)), lambda _: "launches")
    passed = filter_launches("filter", keyed, config, metrics)
    op.output("out", op.key_rm("unkey", passed), TestingSink(out))

    entry_point(flow)

    assert [x.signature for x in out] == ["ok1", "ok2", "ok3"]
    assert rejected(metrics) == only(creator_denied=1, initial_buy_below_band=1, serial_launcher=1)


@pytest.mark.parametrize("max_launches", [1, 2, 3, 4, 7])
def test_exactly_max_launches_pass_within_the_window(metrics: Metrics, max_launches: int) -> None:
    logic = FilterLogic(serial_config(max_launches=max_launches), metrics)
    launches = [launch(f"s{i}", creator="A", slot=10 * i) for i in range(12)]
    assert survivors(logic, launches) == [f"s{i}" for i in range(max_launches)]
    assert rejected(metrics) == only(serial_launcher=12 - max_launches)


def test_the_serial_history_keeps_only_what_can_still_decide(metrics: Metrics) -> None:
    logic = FilterLogic(serial_config(max_launches=2), metrics)
    survivors(logic, [launch(f"a{i}", creator="A", slot=i) for i in range(6)])
    # The newest max + 1 launches are enough to tell whether the next one is beyond the limit.
    assert logic.snapshot().creators == (("A", (3, 4, 5)),)
    # An hour later A's launches have all left the window: A is forgotten.
    survivors(logic, [launch("b", creator="B", slot=5 + HOUR_SLOTS)])
    assert logic.snapshot().creators == (("B", (5 + HOUR_SLOTS,)),)
