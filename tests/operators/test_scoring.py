"""Scoring: the scores and priorities a user sees. (`candidates_detected` is counted where the
send path takes a candidate in: tests/operators/test_delivery.py.)"""

from __future__ import annotations

import pickle
from collections.abc import Iterable

import bytewax.operators as op
from bytewax.dataflow import Dataflow
from bytewax.testing import TestingSink, TestingSource
from hypothesis import given
from hypothesis import strategies as st

from domain.models import (
    CREATE,
    HIGH,
    LOW,
    POOL,
    PUMP_FUN,
    PUMP_SWAP,
    RAYDIUM_AMM_V4,
    Candidate,
    Launch,
)
from operators.scoring import (
    LAUNCHPAD_SCORES,
    ScoringLogic,
    ScoringSettings,
    ScoringState,
    score_launches,
)
from solwire.launchpads import BY_NAME, NAMES
from tests.factories import feed_each, named_launch
from tests.jobs import EntryPoint

#: One default half-life (3600 s) of chain time.
HALF_LIFE_SLOTS = 9000


def launch(
    signature: str = "sig",
    *,
    creator: str | None = "creator",
    slot: int | None = 1000,
    launchpad: str = PUMP_FUN,
    initial_buy_sol: float | None = 1.0,
    wall_clock: float = 1_800_000_000.0,
    mint: str | None = None,
    event: str | None = None,
) -> Launch:
    """A launch; its event is its launchpad's (``create`` for one outside the registry)."""
    lp = BY_NAME.get(launchpad)
    return named_launch(
        signature,
        mint=mint if mint is not None else f"mint-{signature}",
        event=event if event is not None else (lp.event if lp else CREATE),
        creator=creator,
        slot=slot,
        launchpad=launchpad,
        initial_buy_sol=initial_buy_sol,
        arrived_at=wall_clock,
        detected_at=wall_clock,
    )


def score_all(logic: ScoringLogic, launches: Iterable[Launch]) -> list[Candidate]:
    return feed_each(logic, launches)


def scores(logic: ScoringLogic, launches: Iterable[Launch]) -> list[float]:
    return [c.score for c in score_all(logic, launches)]


def test_a_fresh_creator_with_a_good_buy_is_high() -> None:
    [candidate] = score_all(ScoringLogic(), [launch()])
    # 0.4 * 1 (fresh) + 0.3 * (1.0 / 2.0) + 0.3 * 0.5 (pump_fun)
    assert candidate.score == 0.7
    assert candidate.priority == HIGH
    assert candidate.launch == launch()


def test_a_serial_creator_scores_lower_than_a_fresh_one() -> None:
    logic = ScoringLogic()
    out = score_all(logic, [launch(f"s{i}", creator="serial", slot=1000 + i) for i in range(4)])
    assert [c.score for c in out] == [0.7, 0.5, 0.4333, 0.4]
    assert [c.priority for c in out] == [HIGH, LOW, LOW, LOW]
    assert scores(logic, [launch("other", creator="fresh")]) == [0.7]


def test_the_creator_penalty_halves_every_half_life_of_chain_time() -> None:
    logic = ScoringLogic()
    out = scores(
        logic,
        [
            launch("a", slot=0),
            launch("b", slot=HALF_LIFE_SLOTS),  # one earlier launch, one half-life old: 0.5
            launch("c", slot=HALF_LIFE_SLOTS * 200),  # everything long decayed: fresh again
        ],
    )
    assert out == [0.7, round(0.4 / 1.5 + 0.3, 4), 0.7]


def test_a_launch_without_slot_counts_as_no_time_passed() -> None:
    logic = ScoringLogic()
    assert scores(logic, [launch("a", slot=0), launch("b", slot=None)]) == [0.7, 0.5]


def test_a_slot_older_than_the_creators_last_does_not_move_the_ema_back() -> None:
    logic = ScoringLogic()
    assert scores(logic, [launch("a", slot=500), launch("b", slot=400)]) == [0.7, 0.5]


def test_an_unknown_creator_gets_a_neutral_middle_value() -> None:
    logic = ScoringLogic()
    out = scores(logic, [launch(f"s{i}", creator=None) for i in range(3)])
    assert out == [0.5, 0.5, 0.5]  # 0.4 * 0.5 + 0.3 * 0.5 + 0.3 * 0.5, and never serial


def test_the_initial_buy_saturates_and_unknown_is_neutral() -> None:
    logic = ScoringLogic(ScoringSettings(buy_full_sol=2.0))
    buys = [0.0, 1.0, 2.0, 50.0, None]
    out = scores(
        logic, [launch(f"s{i}", creator=f"c{i}", initial_buy_sol=b) for i, b in enumerate(buys)]
    )
    assert out == [0.55, 0.7, 0.85, 0.85, 0.7]


def test_launchpad_weights_put_pools_above_fresh_creates() -> None:
    logic = ScoringLogic()
    pads = [PUMP_SWAP, RAYDIUM_AMM_V4, "raydium_cpmm", PUMP_FUN, "moonshot", "some_new_launchpad"]
    out = score_all(logic, [launch(p, creator=p, launchpad=p, initial_buy_sol=0.0) for p in pads])
    # pump_swap: creator 1 (a migration account) + 0.3 * 0.8; amm_v4: fresh creator, 0.8;
    # cpmm 0.7; the creates 0.5
    assert [c.score for c in out] == [0.64, 0.64, 0.61, 0.55, 0.55, 0.55]
    assert [c.priority for c in out] == [HIGH, HIGH, HIGH, LOW, LOW, LOW]


def test_every_registry_launchpad_has_a_weight_pools_above_creates() -> None:
    assert set(LAUNCHPAD_SCORES) == set(NAMES)
    creates = [LAUNCHPAD_SCORES[n] for n in NAMES if BY_NAME[n].event == CREATE]
    pools = [LAUNCHPAD_SCORES[n] for n in NAMES if BY_NAME[n].event == POOL]
    assert creates and pools and max(creates) < min(pools)
    # a pool of a launchpad the table does not know still weighs as a pool
    [unknown_pool] = scores(
        ScoringLogic(), [launch("p", launchpad="new_amm", event=POOL, initial_buy_sol=0.0)]
    )
    assert unknown_pool == round(0.4 + 0.3 * 0.7, 4)


def test_a_pool_for_a_mint_seen_created_is_a_graduation() -> None:
    logic = ScoringLogic()
    created = launch("create", mint="TOKEN", creator="dev", initial_buy_sol=0.0)
    pools = [
        # the graduation: PumpSwap pool of the same mint
        launch("grad", mint="TOKEN", launchpad=PUMP_SWAP, creator="migration", initial_buy_sol=0.0),
        # a PumpSwap pool for a token this job never saw created
        launch("other", mint="ELSE", launchpad=PUMP_SWAP, creator="migration", initial_buy_sol=0.0),
    ]
    out = score_all(logic, [created, *pools])
    assert [c.score for c in out] == [0.55, 0.7, 0.64]  # 0.4 + 0 + 0.3 * 1.0 for the graduation
    # any pool launchpad: a CPMM pool of a token created on a launchpad earlier graduates too,
    # and its (migration) creator is not counted as a serial launcher
    cpmm = [
        launch(f"c{i}", mint=f"T{i}", launchpad="raydium_launchlab", creator=f"dev{i}")
        for i in range(3)
    ] + [
        launch(f"g{i}", mint=f"T{i}", launchpad="raydium_cpmm", creator="migration", slot=1001 + i)
        for i in range(3)
    ]
    graduations = score_all(ScoringLogic(), cpmm)[3:]
    assert [c.score for c in graduations] == [0.85, 0.85, 0.85]
    assert all(c.priority == HIGH for c in graduations)


def test_a_create_after_the_pool_is_no_graduation() -> None:
    logic = ScoringLogic()
    out = scores(
        logic,
        [
            launch("pool", mint="T", launchpad="raydium_cpmm", creator="lp", initial_buy_sol=0.0),
            launch("create", mint="T", creator="dev", initial_buy_sol=0.0),
        ],
    )
    assert out == [0.61, 0.55]


def test_created_mints_are_bounded_oldest_forgotten_first() -> None:
    logic = ScoringLogic(ScoringSettings(creator_capacity=2))
    score_all(logic, [launch(f"c{i}", mint=m, creator=f"d{i}") for i, m in enumerate("ABC")])
    assert logic.snapshot().created == ("B", "C")
    grad = [
        launch(f"g{m}", mint=m, launchpad=PUMP_SWAP, creator="mig", initial_buy_sol=0.0)
        for m in "ABC"
    ]
    # A was forgotten: its pool is a plain PumpSwap pool; B and C still graduate
    assert scores(logic, grad) == [0.64, 0.7, 0.7]


def test_graduations_survive_a_resume() -> None:
    first = ScoringLogic()
    score_all(first, [launch("create", mint="TOKEN")])
    state = pickle.loads(pickle.dumps(first.snapshot()))
    resumed = ScoringLogic(ScoringSettings(), state)
    grad = launch("grad", mint="TOKEN", launchpad=PUMP_SWAP, creator="mig", initial_buy_sol=0.0)
    assert scores(resumed, [grad]) == [0.7]


def test_high_threshold_is_inclusive() -> None:
    logic = ScoringLogic(ScoringSettings(high_threshold=0.5))
    [candidate] = score_all(logic, [launch(creator=None)])
    assert (candidate.score, candidate.priority) == (0.5, HIGH)


def test_same_launches_same_scores_whatever_the_wall_clock() -> None:
    def stream(wall_clock: float) -> list[Launch]:
        return [
            launch(f"s{i}", creator=f"c{i % 4}", slot=1000 + 700 * i, wall_clock=wall_clock + i)
            for i in range(40)
        ]

    today = scores(ScoringLogic(), stream(1_800_000_000.0))
    replayed_a_year_later_at_full_speed = scores(ScoringLogic(), stream(1_831_536_000.0))
    assert today == replayed_a_year_later_at_full_speed


def test_remembered_creators_are_bounded_least_recently_active_first() -> None:
    logic = ScoringLogic(ScoringSettings(creator_capacity=2))
    score_all(logic, [launch("a1", creator="A"), launch("b1", creator="B")])
    score_all(logic, [launch("a2", creator="A")])  # A is now more recent than B
    score_all(logic, [launch("c1", creator="C")])  # B is forgotten
    assert [creator for creator, _ in logic.snapshot().creators] == ["A", "C"]
    # Forgotten, B scores as fresh again.
    assert scores(logic, [launch("b2", creator="B")]) == [0.7]


def test_resume_from_snapshot_gives_the_uninterrupted_output() -> None:
    config = ScoringSettings(ema_half_life_s=60.0)
    stream = [
        launch(f"s{i}", creator=f"c{i % 3}" if i % 7 else None, slot=None if i % 5 == 0 else 40 * i)
        for i in range(50)
    ]
    uninterrupted = score_all(ScoringLogic(config), stream)

    first = ScoringLogic(config)
    head = score_all(first, stream[:23])
    state = pickle.loads(pickle.dumps(first.snapshot()))
    tail = score_all(ScoringLogic(config, state), stream[23:])

    assert head + tail == uninterrupted


def test_snapshot_is_an_immutable_copy() -> None:
    logic = ScoringLogic()
    score_all(logic, [launch("a", creator="A", slot=10)])
    before = logic.snapshot()
    score_all(logic, [launch("b", creator="A", slot=20)])
    assert before == ScoringState((("A", (1.0, 4.0)),), 4.0, ("mint-a",))


@given(
    creator=st.one_of(st.none(), st.sampled_from(["A", "B"])),
    slots=st.lists(st.one_of(st.none(), st.integers(0, 10**9)), min_size=1, max_size=20),
    buy=st.one_of(st.none(), st.floats(-1.0, 1e9, allow_nan=False)),
    launchpad=st.sampled_from([PUMP_FUN, PUMP_SWAP, RAYDIUM_AMM_V4, "other"]),
)
def test_scores_stay_within_zero_and_one(
    creator: str | None, slots: list[int | None], buy: float | None, launchpad: str
) -> None:
    logic = ScoringLogic()
    launches = [
        launch(f"s{i}", creator=creator, slot=s, initial_buy_sol=buy, launchpad=launchpad)
        for i, s in enumerate(slots)
    ]
    for candidate in score_all(logic, launches):
        assert 0.0 <= candidate.score <= 1.0
        assert candidate.priority == (HIGH if candidate.score >= 0.6 else LOW)


# --- in a dataflow ---------------------------------------------------------------------------


def test_scoring_in_a_dataflow_matches_the_logic(entry_point: EntryPoint) -> None:
    stream = [
        launch(f"s{i}", creator=f"c{i % 5}", slot=1000 + 300 * i, initial_buy_sol=0.25 * (i % 9))
        for i in range(60)
    ]
    expected = score_all(ScoringLogic(), stream)
    out: list[Candidate] = []
    flow = Dataflow("scoring_test")
    keyed = op.key_on("key", op.input("in", flow, TestingSource(stream, 7)), lambda _: "launches")
    scored = score_launches("score", keyed, ScoringSettings())
    op.output("out", op.key_rm("unkey", scored), TestingSink(out))

    entry_point(flow)

    assert out == expected
    highs = sum(c.priority == HIGH for c in expected)
    assert 0 < highs < len(expected)


def test_graduations_sharing_a_migration_account_are_not_serial_launchers() -> None:
    logic = ScoringLogic()
    migrations = [
        launch(f"sig{n}", creator="migration-account", launchpad=PUMP_SWAP, initial_buy_sol=None)
        for n in range(5)
    ]
    scores = [c.score for c in score_all(logic, migrations)]
    assert len(set(scores)) == 1  # the fifth graduation scores like the first
    assert all(c.priority == "HIGH" for c in score_all(logic, migrations[:1]))
