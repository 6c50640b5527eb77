"""Moonshot: the real ``token_mint`` instruction, damaged copies of it, logs-only frames, and the
synthetic encoder's frames."""

from __future__ import annotations

import orjson
import pytest

from domain.models import Launch
from operators.decode import decode_frame
from solwire.detect import Detector
from solwire.launchpads import moonshot
from solwire.launchpads._base import FoundLaunch, InstructionContext, anchor_instruction
from solwire.launchpads.moonshot import PROGRAM, TOKEN_MINT
from solwire.programs import WRAPPED_SOL
from solwire.txmodel import Instruction, Transaction
from tests.real_txs import SHARED_SOLANA
from tests.solana_samples import DETECTED_AT, frame, logs_notification
from tests.solwire.launchpads.test_raydium_launchlab import check_synthetic, draw

CAPTURE = orjson.loads((SHARED_SOLANA / "moonshot_token_mint_instruction_carbon.json").read_bytes())
ACCOUNTS = [account["pubkey"] for account in CAPTURE["accounts"]]
DATA = bytes.fromhex(CAPTURE["data"])
MINT = "HkzfucJHWykNPSpKpduLVg2j45zafYhA1G51xPLumoon"
URI = "https://cdn.dexscreener.com/cms/tokens/metadata/UgnNvayhAu8K97aoT3B8"
DETECTOR = Detector()
#: The capture has no logs: these are CONSTRUCTED, the lines the launch necessarily prints
#: (its invoke, its Anchor instruction name, its success), nothing else.
LOGS = [
    f"Program {PROGRAM} invoke [1]",
    "Program log: Instruction: TokenMint",
    f"Program {PROGRAM} success",
]


def _tx(
    accounts: list[str] = ACCOUNTS,
    data: bytes = DATA,
    logs: list[str] = LOGS,
    failed: bool = False,
) -> Transaction:
    return Transaction.with_instructions(
        signature="moonshot-sig",
        slot=1,
        failed=failed,
        logs=logs,
        account_keys=accounts,
        instructions=[Instruction(CAPTURE["program_id"], accounts, data, 1)],
    )


def test_the_documented_discriminator_is_the_anchor_one() -> None:
    assert TOKEN_MINT.hex() == "032ca4b87b0df5b3" == DATA[:8].hex()


def test_the_real_token_mint_gives_mint_creator_and_text() -> None:
    found = DETECTOR.find(_tx())

    assert found == FoundLaunch(
        "moonshot",
        "create",
        mint=MINT,
        creator=ACCOUNTS[0],
        name="Gamestop",
        symbol="$GME",
        uri=URI,
    )


def test_the_real_token_mint_logs_alone_tell_only_that_a_token_was_born() -> None:
    outcome = decode_frame(frame(logs_notification("moonshot-sig", LOGS)), DETECTED_AT)

    assert isinstance(outcome, Launch)
    assert (outcome.launchpad, outcome.event) == ("moonshot", "create")
    assert outcome.mint is None and outcome.creator is None and outcome.name is None
    assert outcome.partial == ()  # logs carry none of it: nothing was lost


def test_a_failed_token_mint_is_no_launch() -> None:
    assert DETECTOR.find(_tx(failed=True)) is None
    err = {"InstructionError": [0, {"Custom": 6000}]}
    assert decode_frame(frame(logs_notification("s", LOGS, err=err)), DETECTED_AT) is None


@pytest.mark.parametrize("cut", range(len(DATA)))
def test_truncated_data_never_raises_nor_gives_a_wrong_mint(cut: int) -> None:
    found = DETECTOR.find(_tx(data=DATA[:cut]))

    assert found is not None  # the launch line is there
    assert found.mint in (None, MINT)
    if cut >= 8:
        assert found.mint == MINT and found.creator == ACCOUNTS[0]
        assert found.name in (None, "Gamestop") and found.uri in (None, URI)
    text_end = 8 + 12 + 8 + 4 + len(URI)
    if 8 <= cut < text_end:
        assert "uri" in found.partial
    if cut >= text_end:
        assert found.partial == ()


@pytest.mark.parametrize("count", [0, 3, 4, 10])
def test_too_few_accounts_give_no_roles(count: int) -> None:
    found = DETECTOR.find(_tx(accounts=ACCOUNTS[:count]))

    assert found is not None
    assert found.mint is None and found.creator is None
    assert {"mint", "creator"} <= set(found.partial)
    assert found.name == "Gamestop"


@pytest.mark.parametrize("role", range(11))
def test_an_unknown_account_is_none_never_another_key(role: int) -> None:
    accounts = list(ACCOUNTS)
    accounts[role] = ""
    found = DETECTOR.find(_tx(accounts=accounts))

    assert found is not None
    assert found.mint == (None if role == 3 else MINT)
    assert found.creator == (None if role == 0 else ACCOUNTS[0])


@pytest.mark.parametrize(
    "discriminator",
    [
        bytes.fromhex("181ec828051c0777"),  # pump.fun create
        anchor_instruction("initialize"),
        anchor_instruction("buy"),
        anchor_instruction("migrate_funds"),
    ],
)
def test_another_discriminator_is_no_launch_instruction(discriminator: bytes) -> None:
    tx = _tx(data=discriminator + DATA[8:])
    instructions = tx.instructions()
    assert instructions is not None

    assert moonshot.decode_instruction(InstructionContext(tx, instructions, 0)) is None
    found = DETECTOR.find(tx)  # the logs still say TokenMint: no mint from them
    assert found is not None and found.mint is None


def test_trade_lines_are_no_launch() -> None:
    logs = [
        f"Program {PROGRAM} invoke [1]",
        "Program log: Instruction: Buy",
        f"Program {PROGRAM} success",
    ]
    assert DETECTOR.find(_tx(data=anchor_instruction("buy") + bytes(24), logs=logs)) is None


@pytest.mark.parametrize("seed", range(6))
def test_synthetic_frames_decode_to_what_the_encoder_says(seed: int) -> None:
    token = draw(seed, None, WRAPPED_SOL)
    launch = moonshot.synthetic(token)

    assert launch.from_instruction.name == token.name
    check_synthetic(launch, f"moonshot{seed}")


def test_the_synthetic_args_read_like_the_real_ones() -> None:
    # The encoder writes the real capture's layout: the same bytes up to its trailing zeros.
    encoded = moonshot.encode_token_mint_args("Gamestop", "$GME", URI)
    assert DATA.startswith(encoded)
