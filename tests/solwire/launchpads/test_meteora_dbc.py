"""Meteora DBC launches, decoded from every frame format.

No real capture of a DBC create exists yet (shared docs §0.12): these transactions are BUILT
from the documented layouts (shared docs §1.3, §0.4, §1.12; the transfer-hook variant's event
from the DBC program source), by the module's own synthetic encoder and by hand, then rendered
into each frame format by `tests.solwire.launchpads.build`. Replace or extend them with a real
capture when one exists.
"""

from __future__ import annotations

from typing import Any

import pytest

from domain.models import Launch
from solwire.base58 import b58encode
from solwire.detect import Detector
from solwire.frames import instruction_error
from solwire.launchpads import meteora_damm_v2, meteora_dbc, platforms
from solwire.launchpads._base import FoundLaunch, anchor_event, anchor_instruction
from solwire.launchpads.meteora_dbc import (
    EVENT_AUTHORITY,
    POOL_AUTHORITY,
    PROGRAM,
    SPL_TOKEN,
    TOKEN_2022,
    TRANSFER_HOOK,
)
from solwire.quotes import USDC
from solwire.txmodel import Instruction
from tests.solwire.launchpads.build import (
    FULL_FORMATS,
    JSON_FORMATS,
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

#: variation -> variant of `meteora_dbc.synthetic` (6 in 10 SPL, 3 Token-2022, 1 hook).
VARIATIONS = {SPL_TOKEN.snake: 0, TOKEN_2022.snake: 6, TRANSFER_HOOK.snake: 9}
ONLY_DBC = Detector([meteora_dbc.LAUNCHPAD])


def launch_of(variant: str, seed: str = "dbc") -> meteora_dbc.SyntheticLaunch:
    return meteora_dbc.synthetic(token_draw(seed, variation=VARIATIONS[variant]))


def create_of(launch: meteora_dbc.SyntheticLaunch) -> Instruction:
    return top_level(launch, PROGRAM)


def event_of(launch: meteora_dbc.SyntheticLaunch) -> Instruction:
    return cpi_event(launch, PROGRAM)


def with_create(launch: meteora_dbc.SyntheticLaunch, **changes: Any) -> list[Ix]:
    """The launch's instructions with the create's accounts / data / event replaced."""
    return replaced(launch, PROGRAM, **changes)


def test_discriminators_are_the_anchor_names_of_the_docs_table() -> None:
    assert SPL_TOKEN.discriminator.hex() == "8c55d7b06636684f"
    assert TOKEN_2022.discriminator.hex() == "a976334e916edc9b"
    assert TRANSFER_HOOK.discriminator.hex() == "b60de9b12a918702"
    assert anchor_event("EvtInitializePool").hex() == "e432f655cb428625"
    assert anchor_instruction(TRANSFER_HOOK.snake) == TRANSFER_HOOK.discriminator


@pytest.mark.parametrize("variant", sorted(VARIATIONS))
def test_every_frame_format_decodes_to_what_the_encoder_says(variant: str) -> None:
    launch = launch_of(variant)
    result = synthetic_result(launch, variant)
    for fmt, payload in frames(result).items():
        expected = launch.from_instruction if fmt in FULL_FORMATS else launch.from_logs
        assert found(decode(payload)) == expected, fmt
    draw = token_draw("dbc")
    assert launch.from_instruction.mint == b58encode(draw.mint)
    assert launch.from_instruction.quote_mint == b58encode(draw.quote_mint)
    assert launch.from_instruction.creator == b58encode(draw.creator)
    assert launch.from_instruction.name == draw.name
    assert launch.from_instruction.partial == ()
    # logs-only: the launch, nothing else, and nothing "partial" (the frame cannot carry it)
    assert launch.from_logs == FoundLaunch(launchpad="meteora_dbc", event="create")


@pytest.mark.parametrize("variant", sorted(VARIATIONS))
def test_accounts_in_lookup_tables_are_resolved(variant: str) -> None:
    launch = launch_of(variant)
    create = create_of(launch)
    result = synthetic_result(
        launch,
        variant,
        loaded_writable=[create.accounts[3], create.accounts[5]],  # base mint, pool
        loaded_readonly=[create.accounts[4], create.accounts[0]],  # quote mint, config
    )
    for fmt, payload in frames(result, FULL_FORMATS).items():
        assert found(decode(payload)) == launch.from_instruction, fmt


def test_a_missing_lookup_table_never_gives_a_wrong_mint() -> None:
    launch = launch_of(SPL_TOKEN.snake)
    create = create_of(launch)
    loaded = {"loaded_writable": [create.accounts[3]], "drop_lookup_tables": True}
    # the event still names the mint: it stands alone
    result = synthetic_result(launch, "alt-event", **loaded)  # type: ignore[arg-type]
    assert decode_all(result) == {launch.from_instruction}
    # without the event, the mint is unknown, and said to be
    bare = synthetic_result(launch, "alt", instructions=with_create(launch, event=None), **loaded)  # type: ignore[arg-type]
    (got,) = decode_all(bare)
    assert isinstance(got, FoundLaunch)
    assert got.mint is None and got.partial == ("mint",)
    assert got.creator == launch.from_instruction.creator


def test_failed_transactions_are_not_launches() -> None:
    for variant in VARIATIONS:
        result = synthetic_result(launch_of(variant), variant, err=instruction_error(2, 6000))
        for fmt, payload in frames(result).items():
            assert decode(payload) is None, fmt


def test_the_event_disagreeing_with_the_accounts_leaves_the_field_unknown() -> None:
    launch = launch_of(SPL_TOKEN.snake)
    event = (event_of(launch).data or b"")[8:]
    other = key("someone else's mint")
    forged = event[:104] + other + event[136:]  # base_mint
    result = synthetic_result(launch, "x", instructions=with_create(launch, event=forged))
    (got,) = decode_all(result)
    assert isinstance(got, FoundLaunch)
    assert got.mint is None and got.partial == ("mint",)
    forged = event[:72] + other + event[104:]  # creator
    (got,) = decode_all(
        synthetic_result(launch, "y", instructions=with_create(launch, event=forged))
    )
    assert isinstance(got, FoundLaunch)
    assert got.mint == launch.from_instruction.mint
    assert got.creator is None and got.partial == ("creator",)


@pytest.mark.parametrize(
    "event",
    [
        pytest.param(b"", id="empty"),
        pytest.param(anchor_event("EvtInitializePool") + bytes(40), id="too-short"),
        pytest.param(anchor_event("EvtSwap") + key("a") * 5, id="foreign-discriminator"),
        # the hook variant's event under the plain variant: not its witness
        pytest.param(anchor_event("EvtInitializePoolWithTransferHook") + key("b") * 5, id="other"),
    ],
)
def test_a_corrupt_or_foreign_event_is_no_witness(event: bytes) -> None:
    launch = launch_of(SPL_TOKEN.snake)
    result = synthetic_result(launch, "e", instructions=with_create(launch, event=event))
    assert decode_all(result, FULL_FORMATS) == {launch.from_instruction}


def test_an_account_index_past_the_keys_is_unknown_never_another_key() -> None:
    launch = launch_of(TOKEN_2022.snake)
    accounts: list[str | int] = list(create_of(launch).accounts)
    accounts[3] = 250  # base_mint points nowhere
    with_event = synthetic_result(launch, "i", instructions=with_create(launch, accounts=accounts))
    assert decode_all(with_event) == {launch.from_instruction}  # the event names it
    bare = with_create(launch, accounts=accounts, event=None)
    (got,) = decode_all(synthetic_result(launch, "j", instructions=bare))
    assert isinstance(got, FoundLaunch)
    assert got.mint is None and got.partial == ("mint",)


def test_too_few_accounts_trusts_no_position() -> None:
    launch = launch_of(SPL_TOKEN.snake)
    accounts = list(create_of(launch).accounts)[:6]
    bare = with_create(launch, accounts=accounts, event=None)
    (got,) = decode_all(synthetic_result(launch, "few", instructions=bare))
    assert isinstance(got, FoundLaunch)
    assert (got.mint, got.creator, got.quote_mint, got.platform) == (None, None, None, None)
    assert set(got.partial) == {"mint", "creator", "quote_mint", "platform"}
    assert got.name == launch.from_instruction.name  # the data is still read


def test_truncated_arguments_keep_what_was_read() -> None:
    launch = launch_of(SPL_TOKEN.snake)
    data = create_of(launch).data
    assert data is not None
    name_end = 8 + 4 + len(launch.from_instruction.name or "")
    for cut, missing in ((8, ("name", "symbol", "uri")), (name_end + 2, ("symbol", "uri"))):
        result = synthetic_result(launch, "t", instructions=with_create(launch, data=data[:cut]))
        (got,) = decode_all(result)
        assert isinstance(got, FoundLaunch)
        assert got.mint == launch.from_instruction.mint
        assert got.partial == missing
    assert found(decode(frames(synthetic_result(launch, "t2"))["getTransaction"])) is not None


def test_unreadable_instruction_data_falls_back_to_the_logs_and_the_event() -> None:
    launch = launch_of(SPL_TOKEN.snake)
    result = synthetic_result(launch, "u")
    ix = result["transaction"]["message"]["instructions"][2]
    ix["data"] = "0OIl"  # not base58
    (got,) = decode_all(result)
    assert isinstance(got, FoundLaunch)
    assert got.mint == launch.from_instruction.mint  # from the self-CPI event
    assert got.creator == launch.from_instruction.creator
    assert "quote_mint" in got.partial


def test_other_discriminators_inside_the_program_are_not_launches() -> None:
    launch = launch_of(SPL_TOKEN.snake)
    data = create_of(launch).data or b""
    for foreign in ("create", "create_v2", "initialize", "initialize_pool", "swap"):
        forged = anchor_instruction(foreign) + data[8:]
        bare = with_create(launch, data=forged, event=None)
        result = synthetic_result(launch, foreign, instructions=bare)
        # the instruction is not a create: only the logs' line is left (the logs-only view)
        assert decode_all(result, FULL_FORMATS) == {launch.from_logs}, foreign
        # with the program's own create event still there, that event names the mint
        result = synthetic_result(launch, foreign, instructions=with_create(launch, data=forged))
        for got in decode_all(result, FULL_FORMATS):
            assert isinstance(got, FoundLaunch) and got.mint == launch.from_instruction.mint


def test_a_damm_v2_pool_carried_by_the_dbc_program_is_neither() -> None:
    """Both programs' EvtInitializePool share a discriminator; dispatch is by program."""
    for variation in range(3):  # the three DAMM v2 variants
        pool = meteora_damm_v2.synthetic(token_draw("damm", variation=variation))
        result = moved_result(pool, "moved", meteora_damm_v2.PROGRAM, PROGRAM)
        for fmt, payload in frames(result).items():
            assert decode(payload) is None, fmt
            assert decode(payload, ONLY_DBC) is None, fmt


def test_platform_is_the_config_account_never_the_pool_authority(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = key("jupiter studio config")
    launch = meteora_dbc.synthetic(token_draw("p", platform_config=config))
    result = synthetic_result(launch, "platform")
    table = {"meteora_dbc": {b58encode(config): "jup_studio"}}
    monkeypatch.setattr(platforms, "platforms", lambda: table)
    (got,) = decode_all(result)
    assert isinstance(got, FoundLaunch) and got.platform == "jup_studio"
    # the bug the docs warn about: the shared pool authority (account 1) taken for a platform
    monkeypatch.setattr(platforms, "platforms", lambda: {"meteora_dbc": {POOL_AUTHORITY: "x"}})
    (got,) = decode_all(result)
    assert isinstance(got, FoundLaunch) and got.platform is None and got.partial == ()


def test_a_create_routed_through_another_program_is_found_at_depth_two() -> None:
    launch = launch_of(TOKEN_2022.snake)
    router = b58encode(key("router program"))
    routed = [Ix(router, [], b"\x01")]
    routed += [
        Ix(ix.program, ix.accounts, ix.data, ix.depth + 1)
        for ix in map(Ix.of, launch.instructions)
        if ix.program == PROGRAM
    ]
    result = synthetic_result(launch, "routed", instructions=routed)
    assert decode_all(result, FULL_FORMATS) == {launch.from_instruction}


def test_broken_frames_never_raise_nor_give_a_wrong_mint() -> None:
    """Every cut of the create's data and accounts, and of the event: a launch with the right
    mint or none, never an internal error."""
    launch = launch_of(SPL_TOKEN.snake)
    create, event = create_of(launch), event_of(launch)
    right = launch.from_instruction.mint
    variants: list[list[Ix]] = []
    for cut in range(0, len(create.data or b""), 7):
        variants.append(with_create(launch, data=(create.data or b"")[:cut]))
    for cut in range(len(create.accounts)):
        variants.append(with_create(launch, accounts=list(create.accounts)[:cut], event=None))
    for cut in range(0, len(event.data or b"") - 8, 9):
        variants.append(with_create(launch, event=(event.data or b"")[8 : 8 + cut]))
    for n, instructions in enumerate(variants):
        result = synthetic_result(launch, f"broken{n}", instructions=instructions)
        for payload in frames(result, JSON_FORMATS).values():
            decoded = decode(payload)
            assert decoded is None or isinstance(decoded, Launch), decoded
            assert decoded is None or decoded.mint in (right, None)
    assert EVENT_AUTHORITY in event.accounts
    assert right != USDC


def test_a_full_frame_without_logs_still_reads_the_instruction() -> None:
    """A gRPC update may come without log lines: the instruction alone names the launch."""
    launch = launch_of(SPL_TOKEN.snake)
    result = synthetic_result(launch, "no logs")
    result["meta"]["logMessages"] = []
    assert decode_all(result, FULL_FORMATS) == {launch.from_instruction}
