"""Raydium CPMM pools, decoded from every frame format.

No real capture of a CPMM pool creation exists yet (shared docs §0.12): these transactions are
BUILT from the documented layouts (shared docs §1.6, §0.4, §0.5, §1.12; account lists cross-checked
with carbon's raydium-cpmm decoder, the liquidity line with the cp-swap source), by the module's
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
from solwire.launchpads import raydium_cpmm
from solwire.launchpads._base import FoundLaunch, SyntheticLaunch, anchor_instruction
from solwire.launchpads.raydium_cpmm import INITIALIZE, PROGRAM, WITH_PERMISSION
from solwire.programs import PUMP_FUN_PROGRAM
from solwire.quotes import USDC, USDT, WRAPPED_SOL
from solwire.txmodel import Instruction
from tests.solwire.launchpads.build import (
    FULL_FORMATS,
    Ix,
    decode,
    decode_all,
    found,
    frames,
    logs_of,
    moved_result,
    replaced,
    synthetic_result,
    token_draw,
    top_level,
)

LAUNCHLAB = "LanMV9sAd7wArD4vJFi2qDdfnVhFxYSUg6eADduJ3uj"
ORE = "oreoU2P8bN6jkk3jbaiVxYnG1dCXcYxwhwyK9jSybcp"
ONLY_CPMM = Detector([raydium_cpmm.LAUNCHPAD])
#: variation -> variant in `raydium_cpmm.synthetic` (1 in 4 with permission).
VARIANTS = {0: INITIALIZE, 3: WITH_PERMISSION}


def pool_of(variation: int = 0, quote: str = WRAPPED_SOL, seed: str = "cpmm") -> SyntheticLaunch:
    return raydium_cpmm.synthetic(token_draw(seed, quote_mint=quote, variation=variation))


def pool_ix(launch: SyntheticLaunch) -> Instruction:
    return top_level(launch, PROGRAM)


def with_pool(launch: SyntheticLaunch, **changes: Any) -> list[Ix]:
    return replaced(launch, PROGRAM, **changes)


def only(results: set[FoundLaunch | None]) -> FoundLaunch:
    (got,) = results
    assert isinstance(got, FoundLaunch)
    return got


def seeds_on_both_sides(quote: str) -> list[str]:
    """One seed whose mint sorts before `quote` and one after (token_0 and token_1 sides)."""
    before = next(f"s{n}" for n in range(100) if token_draw(f"s{n}").mint < b58decode(quote))
    after = next(f"s{n}" for n in range(100) if token_draw(f"s{n}").mint > b58decode(quote))
    return [before, after]


def test_discriminators_are_the_anchor_names_of_the_docs_table() -> None:
    assert INITIALIZE.discriminator.hex() == "afaf6d1f0d989bed"  # LaunchLab's and pump.fun's too
    assert WITH_PERMISSION.discriminator.hex() == "3f37fe4131b25979"
    assert raydium_cpmm.LAUNCHPAD.launch_lines == {
        "Program log: Instruction: Initialize",
        "Program log: Instruction: InitializeWithPermission",
    }


@pytest.mark.parametrize("variation", sorted(VARIANTS))
@pytest.mark.parametrize("quote", [WRAPPED_SOL, USDC, USDT])
def test_either_side_and_variant_decodes_in_every_frame_format(variation: int, quote: str) -> None:
    variant = VARIANTS[variation]
    for seed in seeds_on_both_sides(quote):
        launch = pool_of(variation, quote, seed)
        ix = pool_ix(launch)
        assert ix.data is not None and ix.data[:8] == variant.discriminator
        token_0, token_1 = ix.accounts[variant.token_0], ix.accounts[variant.token_1]
        assert b58decode(token_0) < b58decode(token_1)  # the program's order
        result = synthetic_result(launch, f"{seed}-{variation}-{quote}")
        for fmt, payload in frames(result).items():
            expected = launch.from_instruction if fmt in FULL_FORMATS else launch.from_logs
            assert found(decode(payload)) == expected, fmt
        draw = token_draw(seed)
        assert launch.from_instruction.mint == b58encode(draw.mint)
        assert launch.from_instruction.quote_mint == quote
        assert launch.from_instruction.creator == b58encode(draw.creator)
        assert launch.from_instruction.partial == ()
        assert launch.from_logs == FoundLaunch(launchpad="raydium_cpmm", event="pool")


def test_the_logs_carry_the_exact_instruction_line_and_the_liquidity_line() -> None:
    logs = logs_of(pool_of(0).invokes)
    assert "Program log: Instruction: Initialize" in logs
    assert any(line.startswith("Program log: liquidity:") for line in logs)
    assert "lock_lp_amount:100" in "\n".join(logs)


@pytest.mark.parametrize("variation", sorted(VARIANTS))
def test_mints_in_lookup_tables_are_resolved(variation: int) -> None:
    variant = VARIANTS[variation]
    launch = pool_of(variation)
    ix = pool_ix(launch)
    result = synthetic_result(
        launch,
        f"alt{variation}",
        loaded_writable=[ix.accounts[variant.token_1], ix.accounts[variant.token_0 - 1]],
        loaded_readonly=[ix.accounts[variant.token_0]],
    )
    for fmt, payload in frames(result, FULL_FORMATS).items():
        assert found(decode(payload)) == launch.from_instruction, fmt


@pytest.mark.parametrize(
    ("token", "quote"),
    [
        pytest.param(None, ORE, id="quote-not-known"),
        pytest.param(USDT, USDC, id="both-known-quotes"),
    ],
)
def test_a_pair_without_exactly_one_known_quote_is_left_unknown(
    token: str | None, quote: str
) -> None:
    """Ambiguous by design: with sorted mints a guess would be wrong for half of these pools."""
    draw = token_draw("amb", quote_mint=quote)
    if token is not None:
        draw = dataclasses.replace(draw, mint=b58decode(token))
    launch = raydium_cpmm.synthetic(draw)
    assert launch.from_instruction.mint is None and launch.from_instruction.quote_mint is None
    assert launch.from_instruction.partial == ()
    assert decode_all(synthetic_result(launch, "amb"), FULL_FORMATS) == {launch.from_instruction}


def test_failed_transactions_are_not_launches() -> None:
    for variation in VARIANTS:
        result = synthetic_result(pool_of(variation), "f", err=instruction_error(2, 6000))
        for fmt, payload in frames(result).items():
            assert decode(payload) is None, fmt


def test_an_unresolved_mint_makes_both_sides_unknown() -> None:
    launch = pool_of(3)
    accounts: list[str | int] = list(pool_ix(launch).accounts)
    accounts[WITH_PERMISSION.token_0] = 230
    got = only(
        decode_all(synthetic_result(launch, "i", instructions=with_pool(launch, accounts=accounts)))
    )
    assert (got.mint, got.quote_mint, got.partial) == (None, None, ("mint", "quote_mint"))
    assert got.creator == launch.from_instruction.creator


def test_a_missing_lookup_table_never_gives_a_wrong_mint() -> None:
    launch = pool_of(0)
    token_1 = pool_ix(launch).accounts[INITIALIZE.token_1]
    result = synthetic_result(launch, "m", loaded_readonly=[token_1], drop_lookup_tables=True)
    got = only(decode_all(result))
    assert (got.mint, got.quote_mint, got.partial) == (None, None, ("mint", "quote_mint"))


def test_too_few_accounts_trusts_no_position() -> None:
    launch = pool_of(0)
    short = list(pool_ix(launch).accounts)[:12]
    got = only(
        decode_all(synthetic_result(launch, "s", instructions=with_pool(launch, accounts=short)))
    )
    assert (got.mint, got.quote_mint, got.creator) == (None, None, None)
    assert set(got.partial) == {"mint", "quote_mint", "creator"}


def test_other_discriminators_inside_the_program_are_not_pools() -> None:
    launch = pool_of(0)
    data = pool_ix(launch).data or b""
    for foreign in ("initialize_v2", "initialize_with_token_2022", "swap_base_input", "create"):
        forged = anchor_instruction(foreign) + data[8:]
        result = synthetic_result(launch, foreign, instructions=with_pool(launch, data=forged))
        assert decode_all(result, FULL_FORMATS) == {launch.from_logs}, foreign


@pytest.mark.parametrize("program", [LAUNCHLAB, PUMP_FUN_PROGRAM])
def test_initialize_of_another_program_is_not_a_cpmm_pool(program: str) -> None:
    """``initialize`` (afaf6d1f0d989bed) is LaunchLab's and pump.fun's too: dispatch by program."""
    result = moved_result(pool_of(0), "moved", PROGRAM, program)
    for fmt, payload in frames(result).items():
        assert decode(payload, ONLY_CPMM) is None, fmt
        decoded = decode(payload)
        assert decoded is None or (
            isinstance(decoded, Launch) and decoded.launchpad != "raydium_cpmm"
        )


def test_broken_frames_never_raise_nor_give_a_wrong_mint() -> None:
    launch = pool_of(3)
    ix = pool_ix(launch)
    right = launch.from_instruction.mint
    variants: list[list[Ix]] = []
    for cut in range(0, len(ix.data or b"") + 1, 3):
        variants.append(with_pool(launch, data=(ix.data or b"")[:cut]))
    for cut in range(len(ix.accounts)):
        variants.append(with_pool(launch, accounts=list(ix.accounts)[:cut]))
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
