"""Properties of every launchpad decoder of the registry, on hostile instructions and frames.

Whatever a frame holds (any launchpad's discriminator inside any launchpad's program, data cut
anywhere, accounts missing or unresolvable, random logs around it) detection never raises
anything but `UndecodableEvent`, labels a launch with the launchpad whose program ran, and never
reports a mint that the transaction does not contain: a mint is one of the instruction's accounts
or 32 bytes of its data or of an event it carries.
"""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from operators.decode import decode_frame
from solwire.base58 import b58encode
from solwire.detect import Detector
from solwire.launchpads import REGISTRY, UndecodableEvent
from solwire.launchpads._base import anchor_event, anchor_instruction
from solwire.logs import program_data_line, program_log
from solwire.programs import EVENT_CPI_TAG
from solwire.txmodel import Instruction, Transaction
from tests.operators.test_decode_garbage import _mutate, assert_well_formed, json_values
from tests.real_txs import FRAME_FORMATS, get_transaction_result, manifest
from tests.solana_samples import ARRIVED_AT, DETECTED_AT, frame

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DETECTOR = Detector()
PROGRAMS = [lp.program for lp in REGISTRY]
#: Every launch instruction of the registry (and a few others the same programs have), so that
#: each decoder is shown the others' discriminators too.
DISCRIMINATORS = [
    anchor_instruction(name)
    for name in (
        "create",
        "create_v2",
        "buy",
        "migrate",
        "create_pool",
        "initialize",
        "initialize_v2",
        "initialize_with_token_2022",
        "initialize_virtual_pool_with_spl_token",
        "initialize_virtual_pool_with_token2022",
        "initialize_virtual_pool_with_token2022_transfer_hook",
        "token_mint",
        "initialize_pool",
        "initialize_customizable_pool",
        "initialize_pool_with_dynamic_config",
        "initialize_with_permission",
    )
] + [bytes((1,)), bytes((9,))]
EVENTS = [
    anchor_event(name)
    for name in ("CreateEvent", "TradeEvent", "CreatePoolEvent", "PoolCreateEvent",
                 "EvtInitializePool")
]  # fmt: skip

keys = st.binary(min_size=32, max_size=32).map(b58encode)
account_lists = st.lists(keys | st.just(""), max_size=20)
data = st.tuples(st.sampled_from(DISCRIMINATORS), st.binary(max_size=300)).map(
    lambda parts: parts[0] + parts[1]
)
events = st.tuples(st.sampled_from(EVENTS), st.binary(max_size=300)).map(
    lambda parts: parts[0] + parts[1]
)


def _windows(raw: bytes) -> set[str]:
    return {b58encode(raw[i : i + 32]) for i in range(max(0, len(raw) - 31))}


@st.composite
def transactions(draw: Any) -> tuple[Transaction, set[str]]:
    program = draw(st.sampled_from(PROGRAMS))
    accounts = draw(account_lists)
    payload = draw(data)
    event = draw(events)
    launchpad = next(lp for lp in REGISTRY if lp.program == program)
    line = draw(st.sampled_from(sorted(launchpad.launch_lines) or ["Program log: x"]))
    instructions = [
        Instruction(program, accounts, payload, 1),
        Instruction(program, draw(account_lists), EVENT_CPI_TAG + event, 2),
    ]
    logs = draw(
        st.sampled_from(
            [
                [],
                [f"Program {program} invoke [1]", line, program_data_line(event),
                 f"Program {program} success"],
                [f"Program {program} invoke [1]", program_log("Instruction: Buy"),
                 f"Program {program} success"],
            ]
        )
    )  # fmt: skip
    tx = Transaction.with_instructions(
        signature="5" * 88,
        slot=1,
        failed=False,
        logs=logs,
        account_keys=[k for k in accounts if k],
        instructions=instructions,
    )
    allowed = {k for k in accounts if k} | _windows(payload) | _windows(event)
    return tx, allowed


@SETTINGS
@given(transactions())
def test_hostile_instructions_never_raise_nor_invent_a_mint(
    case: tuple[Transaction, set[str]],
) -> None:
    tx, allowed = case
    try:
        found = DETECTOR.find(tx)
    except UndecodableEvent:
        return
    if found is None:
        return
    assert found.launchpad in {lp.name for lp in REGISTRY}
    assert found.mint is None or found.mint in allowed
    assert found.quote_mint is None or found.quote_mint in allowed or len(found.quote_mint) >= 32
    assert all(isinstance(field, str) for field in found.partial)


REAL = [get_transaction_result(entry) for entry in manifest().values()]


@SETTINGS
@given(
    st.sampled_from(range(len(REAL))),
    st.sampled_from(sorted(f for f in FRAME_FORMATS if f != "getTransaction-base64")),
    st.lists(st.integers(0, 400), min_size=1, max_size=10),
    json_values,
)
def test_mutated_real_transactions_never_raise(
    which: int, fmt: str, path: list[int], replacement: Any
) -> None:
    # Any one node of a real 2025-2026 transaction replaced by any JSON value, in any format.
    mutated = _mutate(REAL[which], path, replacement)
    try:
        payload = FRAME_FORMATS[fmt](mutated)
    except Exception:  # the mutation broke the test's own format conversion, not the decoder
        payload = orjson.dumps(mutated)
    outcome = decode_frame(frame(payload, ARRIVED_AT), DETECTED_AT)
    assert_well_formed(outcome)
    assert getattr(outcome, "reason", None) != "internal_error", outcome
