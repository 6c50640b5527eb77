"""The generator's shortcuts write what the slow paths would: templates, packed events, re-keyed
module launches, recycled trade bodies."""

from __future__ import annotations

import collections
import random
import re

import orjson
import pytest

from domain.models import RawFrame
from fakechain import encode, generate_range
from fakechain.generator import ORDINARY_BODIES
from fakechain.module_pool import ENTRIES
from fakechain.templates import compile_frame, slot
from fakechain.truth import MODULE_LAUNCH, PUMP_TRADE, RAYDIUM_SWAP
from operators.decode import decode_frame
from solwire.events import CreateEvent, TradeEvent
from solwire.frames import instruction_error, logs_notification

SEED = 77
_STAND_IN = re.compile(r"\b(Nm[1-9A-HJ-NP-Za-km-z]{14}|Sy[1-9A-HJ-NP-Za-km-z]{6})\b")


def test_a_filled_template_is_the_frame_logs_notification_writes() -> None:
    lines = ['Program log: 100 % "quoted" \\ caf\u00e9 \U0001f680', "Program data: {0}", "x {1} y"]
    err = instruction_error(2, 6002)
    fmt = compile_frame([line.format(slot(0), slot(1)) for line in lines], err)
    filled = fmt % (400_000_123, b"5" * 88, b"AAAB+/==", b"12345", 4242)
    expected = logs_notification(
        slot=400_000_123,
        signature="5" * 88,
        err=err,
        logs=[line.format("AAAB+/==", "12345") for line in lines],
        subscription=4242,
    )
    assert filled == expected


@pytest.mark.parametrize("fee_recipient", [None, bytes(range(32))])
def test_packed_trade_events_are_the_trade_event_layout(fee_recipient: bytes | None) -> None:
    rng = random.Random(3)
    for is_buy in (True, False):
        mint, user, creator = rng.randbytes(32), rng.randbytes(32), rng.randbytes(32)
        sol, tokens = rng.randrange(10**12), rng.randrange(10**15)
        vsol, vtok = 30_000_000_000 + rng.randrange(10**11), rng.randrange(10**15)
        packed = encode._trade_event(
            mint, sol, tokens, is_buy, user, 1_780_000_000, vsol, vtok, fee_recipient, creator
        )
        event = TradeEvent(
            mint=mint,
            sol_amount=sol,
            token_amount=tokens,
            is_buy=is_buy,
            user=user,
            timestamp=1_780_000_000,
            virtual_sol_reserves=vsol,
            virtual_token_reserves=vtok,
            real_sol_reserves=max(0, vsol - 30_000_000_000),
            real_token_reserves=max(0, vtok - (1_073_000_000_000_000 - 793_100_000_000_000)),
            fee_recipient=fee_recipient,
            fee=sol * 95 // 10_000,
            creator=creator,
            creator_fee=sol * 30 // 10_000,
        )
        assert packed == event.encode()


@pytest.mark.parametrize("current", [True, False])
def test_packed_create_events_are_the_create_event_layout(current: bool) -> None:
    rng = random.Random(4)
    mint, curve, user = rng.randbytes(32), rng.randbytes(32), rng.randbytes(32)
    creator = user if current else None
    packed = encode._create_event(
        "Caf\u00e9 \U0001f680", "CAFE", "https://x/y", mint, curve, user, creator, 9
    )
    event = CreateEvent(
        "Caf\u00e9 \U0001f680",
        "CAFE",
        "https://x/y",
        mint,
        curve,
        user,
        creator,
        9,
        token_program=encode._TOKEN_2022_BYTES,
    )
    assert packed == event.encode()


def test_module_launches_re_keyed_from_the_pool_decode_to_their_own_fields() -> None:
    """Launches of every registry module share pool entries, yet each frame shows its own mint,
    creator and name, and decodes to exactly its truth."""
    mix = {"raydium_launchlab": 1.0, "meteora_dbc": 1.0, "moonshot": 1.0, "raydium_cpmm": 1.0}
    mix |= {"meteora_damm_v2": 1.0, "pump_swap": 1.0}
    txs = [tx for tx in generate_range(SEED, 3000, 1.0, launchpad_mix=mix) if tx.launch]
    launches = [tx for tx in txs if tx.kind == MODULE_LAUNCH]
    per_launchpad = collections.Counter(tx.launch.launchpad for tx in launches if tx.launch)
    # more launches of each than the pool keeps entries for: entries are reused
    assert min(per_launchpad.values()) > 2 * ENTRIES
    mints = [tx.launch.drawn_mint for tx in launches if tx.launch]
    assert len(set(mints)) == len(mints)
    for tx in txs:
        out = decode_frame(RawFrame(tx.payload, 0.0), 0.0)
        assert out is not None and tx.launch is not None
        assert out.mint == tx.launch.mint and out.creator == tx.launch.creator, tx.index
        assert (out.name, out.symbol, out.uri) == (tx.launch.name, tx.launch.symbol, tx.launch.uri)
        # nothing of the entry's own stand-ins is left in the frame
        assert not _STAND_IN.search(tx.payload.decode()), tx.index


def test_trades_and_swaps_reuse_bodies_but_not_signatures_or_slots() -> None:
    txs = [tx for tx in generate_range(SEED, 20_000, 0.0) if tx.kind in (PUMP_TRADE, RAYDIUM_SWAP)]
    assert len({tx.signature for tx in txs}) == len(txs)
    bodies = collections.Counter(
        orjson.dumps(orjson.loads(tx.payload)["params"]["result"]["value"]["logs"]) for tx in txs
    )
    assert len(bodies) <= 2 * ORDINARY_BODIES < len(txs)
    for tx in txs[:2000]:
        doc = orjson.loads(tx.payload)
        assert doc["params"]["result"]["context"]["slot"] == tx.slot
        assert doc["params"]["result"]["value"]["signature"] == tx.signature
