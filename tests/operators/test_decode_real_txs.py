"""decode_frame on every real mainnet transaction of the shared ``real_txs`` capture.

Each sample goes through the real decode step in every frame format it converts into, and must
come out as its manifest says: the launch with its launchpad, mint and creator, or nothing at all
for a failed transaction.
"""

from __future__ import annotations

from typing import Any

import pytest

from domain.models import PUMP_FUN, Launch
from operators.decode import decode_frame
from tests.real_txs import FRAME_FORMATS, get_transaction_result, manifest
from tests.solana_samples import DETECTED_AT, frame

MANIFEST = manifest()
LAUNCHLAB = "raydium_launchlab"


def _cases(launchpad: str) -> list[Any]:
    return [
        pytest.param(signature, entry, fmt, id=f"{signature[:8]}-{fmt}")
        for signature, entry in MANIFEST.items()
        if entry["launchpad"] == launchpad
        for fmt in FRAME_FORMATS
    ]


def _decode(entry: dict[str, Any], fmt: str) -> Any:
    result = get_transaction_result(entry)
    return decode_frame(frame(FRAME_FORMATS[fmt](result)), DETECTED_AT)


def test_the_manifest_holds_the_known_samples() -> None:
    launchpads = [entry["launchpad"] for entry in MANIFEST.values()]
    assert launchpads.count("pump_fun") == 14
    assert launchpads.count(LAUNCHLAB) == 1
    assert sum(entry["failed"] for entry in MANIFEST.values()) == 2


@pytest.mark.parametrize(("signature", "entry", "fmt"), _cases("pump_fun"))
def test_pump_fun_real_tx_decodes_as_the_manifest_says(
    signature: str, entry: dict[str, Any], fmt: str
) -> None:
    outcome = _decode(entry, fmt)

    if entry["failed"]:
        # A failed transaction launched nothing, even with its create logs present.
        assert outcome is None
        return
    assert isinstance(outcome, Launch), outcome
    assert outcome.signature == signature
    assert outcome.slot == get_transaction_result(entry)["slot"]
    assert outcome.launchpad == PUMP_FUN
    assert outcome.mint == entry["mint"]
    if entry["user"] is not None:  # null for the create_v2 with its trailing args omitted
        assert outcome.creator == entry["user"]


@pytest.mark.parametrize(("signature", "entry", "fmt"), _cases(LAUNCHLAB))
def test_launchlab_never_a_wrong_mint_until_supported(
    signature: str, entry: dict[str, Any], fmt: str
) -> None:
    # Raydium LaunchLab detection arrives with the launchpad registry; until then, no wrong mint.
    outcome = _decode(entry, fmt)

    assert outcome is None or (isinstance(outcome, Launch) and outcome.mint == entry["mint"])
