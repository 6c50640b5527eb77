"""Meteora DAMM v2 pools, decoded from every frame format.

No real capture of a DAMM v2 pool creation exists yet (shared docs §0.12): these transactions
are BUILT from the documented layouts (shared docs §1.4, §0.4, §1.12; account lists and the
EvtInitializePool layout cross-checked with carbon's meteora-damm-v2 decoder), by the module's
synthetic encoder and by hand, then rendered into each frame format by
`tests.solwire.launchpads.build`. Replace or extend them with a real capture when one exists.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from domain.models import Launch
from solwire.base58 import b58decode, b58encode
from solwire.detect import Detector
from solwire.frames import instruction_error
from solwire.launchpads import meteora_damm_v2, meteora_dbc
from solwire.launchpads._base import FoundLaunch, SyntheticLaunch, anchor_instruction
from solwire.launchpads.meteora_damm_v2 import (
    CUSTOMIZABLE,
    DYNAMIC_CONFIG,
    EVT_INITIALIZE_POOL,
    INITIALIZE_POOL,
    PROGRAM,
)
from solwire.quotes import USDC, USDT, WRAPPED_SOL
from solwire.txmodel import Instruction
from tests.solwire.launchpads.build import (
    FULL_FORMATS,
    Ix,
    cpi_event,
    decode,
    decode_all,
    found,
    frames,
    key,
    moved_result,
    replaced,
    synthetic_result,
    token_draw,
    top_level,
)

ORCA_WHIRLPOOL = "whirLbMiicVdio4qvUfM5KAg6Ct8VwpYzGff3uctyCc"
ORE = "oreoU2P8bN6jkk3jbaiVxYnG1dCXcYxwhwyK9jSybcp"
ONLY_DAMM = Detector([meteora_damm_v2.LAUNCHPAD])
#: variation -> (variant, token is token_a) in `meteora_damm_v2.synthetic`.
VARIATIONS = {
    0: (INITIALIZE_POOL, True),
    3: (INITIALIZE_POOL, False),
    1: (CUSTOMIZABLE, True),
    4: (CUSTOMIZABLE, False),
    2: (DYNAMIC_CONFIG, True),
}


def pool_of(variation: int = 0, quote: str = WRAPPED_SOL, seed: str = "damm") -> SyntheticLaunch:
    return meteora_damm_v2.synthetic(token_draw(seed, quote_mint=quote, variation=variation))


def pool_ix(launch: SyntheticLaunch) -> Instruction:
    return top_level(launch, PROGRAM)


def with_pool(launch: SyntheticLaunch, **changes: Any) -> list[Ix]:
    return replaced(launch, PROGRAM, **changes)


def only(results: set[FoundLaunch | None]) -> FoundLaunch:
    (got,) = results
    assert isinstance(got, FoundLaunch)
    return got


def test_discriminators_are_the_anchor_names_of_the_docs_table() -> None:
    assert INITIALIZE_POOL.discriminator.hex() == "5fb40aac54aee828"
    assert CUSTOMIZABLE.discriminator.hex() == "14a1f118bdddb402"
    assert DYNAMIC_CONFIG.discriminator.hex() == "955248c5fdfc440f"
    assert EVT_INITIALIZE_POOL.hex() == "e432f655cb428625"
    assert EVT_INITIALIZE_POOL == meteora_dbc.EVT_INITIALIZE_POOL  # the documented collision


@pytest.mark.parametrize("variation", sorted(VARIATIONS))
@pytest.mark.parametrize("quote", [WRAPPED_SOL, USDC, USDT])
def test_every_variant_and_side_decodes_in_every_frame_format(variation: int, quote: str) -> None:
    variant, token_first = VARIATIONS[variation]
    launch = pool_of(variation, quote)
    ix = pool_ix(launch)
    assert ix.data is not None and ix.data[:8] == variant.discriminator
    token = b58encode(token_draw("damm").mint)
    a, b = ix.accounts[variant.token_a], ix.accounts[variant.token_b]
    assert (a, b) == ((token, quote) if token_first else (quote, token))
    result = synthetic_result(launch, f"{variation}-{quote}")
    for fmt, payload in frames(result).items():
        expected = launch.from_instruction if fmt in FULL_FORMATS else launch.from_logs
        assert found(decode(payload)) == expected, fmt
    assert launch.from_instruction.mint == token
    assert launch.from_instruction.quote_mint == quote
    assert launch.from_instruction.creator == b58encode(token_draw("damm").creator)
    assert launch.from_instruction.partial == ()
    assert launch.from_logs == FoundLaunch(launchpad="meteora_damm_v2", event="pool")


@pytest.mark.parametrize("variation", sorted(VARIATIONS))
def test_mints_in_lookup_tables_are_resolved(variation: int) -> None:
    variant, _ = VARIATIONS[variation]
    launch = pool_of(variation)
    ix = pool_ix(launch)
    result = synthetic_result(
        launch,
        f"alt{variation}",
        loaded_writable=[ix.accounts[variant.token_a]],
        loaded_readonly=[ix.accounts[variant.token_b], ix.accounts[0]],
    )
    for fmt, payload in frames(result, FULL_FORMATS).items():
        assert found(decode(payload)) == launch.from_instruction, fmt


@pytest.mark.parametrize(
    ("token", "quote"),
    [
        pytest.param(None, ORE, id="quote-not-known"),
        pytest.param(USDC, WRAPPED_SOL, id="both-known-quotes"),
    ],
)
def test_a_pair_without_exactly_one_known_quote_is_left_unknown(
    token: str | None, quote: str
) -> None:
    """Ambiguous by design: a guess would be a wrong mint for half of these pools."""
    draw = token_draw("amb", quote_mint=quote)
    if token is not None:
        draw = dataclasses.replace(draw, mint=b58decode(token))
    launch = meteora_damm_v2.synthetic(draw)
    assert launch.from_instruction.mint is None and launch.from_instruction.quote_mint is None
    assert launch.from_instruction.partial == ()  # the frame was read in full; it does not tell
    assert decode_all(synthetic_result(launch, "amb"), FULL_FORMATS) == {launch.from_instruction}


def test_failed_transactions_are_not_launches() -> None:
    for variation in VARIATIONS:
        result = synthetic_result(pool_of(variation), "f", err=instruction_error(2, 6001))
        for fmt, payload in frames(result).items():
            assert decode(payload) is None, fmt


def test_the_event_disagreeing_with_the_accounts_leaves_both_sides_unknown() -> None:
    launch = pool_of(0)
    event = (cpi_event(launch, PROGRAM).data or b"")[8:]
    forged = event[:40] + key("another token") + event[72:]  # token_a
    got = only(
        decode_all(synthetic_result(launch, "d", instructions=with_pool(launch, event=forged)))
    )
    assert (got.mint, got.quote_mint) == (None, None)
    assert got.partial == ("mint", "quote_mint")
    assert got.creator == launch.from_instruction.creator


def test_a_dbc_layout_event_under_the_shared_discriminator_gives_no_wrong_mint() -> None:
    launch = pool_of(0)
    dbc_event = meteora_dbc.encode_event(
        meteora_dbc.SPL_TOKEN,
        pool=key("pool"),
        config=key("config"),
        creator=key("creator"),
        base_mint=key("base"),
        activation_point=1,
    )
    got = only(
        decode_all(synthetic_result(launch, "x", instructions=with_pool(launch, event=dbc_event)))
    )
    assert got.mint in (None, launch.from_instruction.mint)
    assert got.mint is None and "mint" in got.partial


@pytest.mark.parametrize(
    "event",
    [
        pytest.param(b"", id="empty"),
        pytest.param(EVT_INITIALIZE_POOL + bytes(100), id="too-short"),
        pytest.param(
            meteora_dbc.EVT_INITIALIZE_POOL_WITH_TRANSFER_HOOK + key("a") * 8, id="foreign"
        ),
    ],
)
def test_a_corrupt_or_foreign_event_is_no_witness(event: bytes) -> None:
    launch = pool_of(1)
    result = synthetic_result(launch, "e", instructions=with_pool(launch, event=event))
    assert decode_all(result, FULL_FORMATS) == {launch.from_instruction}


def test_an_unresolved_mint_index_makes_both_sides_unknown() -> None:
    launch = pool_of(2)
    accounts: list[str | int] = list(pool_ix(launch).accounts)
    accounts[DYNAMIC_CONFIG.token_b] = 240
    # the event still names both mints
    result = synthetic_result(launch, "i", instructions=with_pool(launch, accounts=accounts))
    assert decode_all(result) == {launch.from_instruction}
    bare = with_pool(launch, accounts=accounts, event=None)
    got = only(decode_all(synthetic_result(launch, "j", instructions=bare)))
    assert (got.mint, got.quote_mint, got.partial) == (None, None, ("mint", "quote_mint"))


def test_a_missing_lookup_table_never_gives_a_wrong_mint() -> None:
    launch = pool_of(0)
    token_a = pool_ix(launch).accounts[INITIALIZE_POOL.token_a]
    bare = with_pool(launch, event=None)
    result = synthetic_result(
        launch, "m", instructions=bare, loaded_writable=[token_a], drop_lookup_tables=True
    )
    got = only(decode_all(result))
    assert (got.mint, got.quote_mint, got.partial) == (None, None, ("mint", "quote_mint"))


def test_too_few_accounts_trusts_no_position_but_the_event_still_witnesses() -> None:
    launch = pool_of(0)
    short = list(pool_ix(launch).accounts)[:10]
    assert decode_all(
        synthetic_result(launch, "s", instructions=with_pool(launch, accounts=short))
    ) == {launch.from_instruction}
    bare = with_pool(launch, accounts=short, event=None)
    got = only(decode_all(synthetic_result(launch, "t", instructions=bare)))
    assert (got.mint, got.quote_mint, got.creator) == (None, None, None)
    assert set(got.partial) == {"mint", "quote_mint", "creator"}


def test_other_discriminators_inside_the_program_are_not_pools() -> None:
    launch = pool_of(0)
    data = pool_ix(launch).data or b""
    for foreign in ("initialize_virtual_pool_with_spl_token", "swap", "create", "add_liquidity"):
        forged = anchor_instruction(foreign) + data[8:]
        bare = with_pool(launch, data=forged, event=None)
        result = synthetic_result(launch, foreign, instructions=bare)
        assert decode_all(result, FULL_FORMATS) == {launch.from_logs}, foreign


def test_a_dbc_create_carried_by_the_damm_program_is_neither() -> None:
    for variation in (0, 6, 9):  # the three DBC variants
        create = meteora_dbc.synthetic(token_draw("dbc", variation=variation))
        result = moved_result(create, "moved", meteora_dbc.PROGRAM, PROGRAM)
        for fmt, payload in frames(result).items():
            assert decode(payload) is None, fmt
            assert decode(payload, ONLY_DAMM) is None, fmt


def test_orca_initialize_pool_is_not_a_damm_pool() -> None:
    """Orca Whirlpool's ``initialize_pool`` has DAMM v2's discriminator."""
    result = moved_result(pool_of(0), "orca", PROGRAM, ORCA_WHIRLPOOL)
    for fmt, payload in frames(result).items():
        assert decode(payload) is None, fmt


def test_broken_frames_never_raise_nor_give_a_wrong_mint() -> None:
    launch = pool_of(3)
    ix, event = pool_ix(launch), cpi_event(launch, PROGRAM)
    right = launch.from_instruction.mint
    variants: list[list[Ix]] = []
    for cut in range(0, len(ix.data or b""), 5):
        variants.append(with_pool(launch, data=(ix.data or b"")[:cut]))
    for cut in range(len(ix.accounts)):
        variants.append(with_pool(launch, accounts=list(ix.accounts)[:cut], event=None))
        variants.append(with_pool(launch, accounts=list(ix.accounts)[:cut]))
    for cut in range(0, len(event.data or b"") - 8, 17):
        variants.append(with_pool(launch, event=(event.data or b"")[8 : 8 + cut]))
    for n, instructions in enumerate(variants):
        result = synthetic_result(launch, f"broken{n}", instructions=instructions)
        for payload in frames(result, ("getTransaction", "transactionNotification")).values():
            decoded = decode(payload)
            assert decoded is None or isinstance(decoded, Launch), decoded
            assert decoded is None or decoded.mint in (right, None)


def test_a_full_frame_without_logs_still_reads_the_instruction() -> None:
    """A gRPC update may come without log lines: the instruction alone names the launch."""
    launch = pool_of(0)
    result = synthetic_result(launch, "no logs")
    result["meta"]["logMessages"] = []
    assert decode_all(result, FULL_FORMATS) == {launch.from_instruction}
