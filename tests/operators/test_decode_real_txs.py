"""decode_frame on every real mainnet transaction of the shared ``real_txs`` capture.

Each sample goes through the real decode step in every frame format it converts into, and must
come out as its manifest says: the launch with its launchpad, event, mint and, where the manifest
gives them, creator, quote mint and platform; or nothing at all for a failed transaction. A
logs-only frame of a launchpad that does not log its mint (LaunchLab) is still a candidate, with
mint, quote mint and platform unknown.
"""

from __future__ import annotations

from typing import Any

import pytest

from domain.models import Launch
from operators.decode import decode_frame
from solwire.launchpads import BY_NAME
from tests.real_txs import FRAME_FORMATS, FULL_FORMATS, get_transaction_result, manifest
from tests.solana_samples import DETECTED_AT, frame

MANIFEST = manifest()
#: Launchpads whose logs carry the mint (in the create event).
MINT_IN_LOGS = {"pump_fun", "pump_swap"}


def _formats(entry: dict[str, Any]) -> list[str]:
    version = get_transaction_result(entry).get("version", "legacy")
    # The base64 rebuild writes legacy and v0 messages; the LaunchLab sample is a version-1
    # transaction (with a transactionConfig), whose wire layout the test does not rebuild.
    return [f for f in FRAME_FORMATS if f != "getTransaction-base64" or version in ("legacy", 0)]


CASES = [
    pytest.param(signature, entry, fmt, id=f"{entry['launchpad']}-{signature[:8]}-{fmt}")
    for signature, entry in MANIFEST.items()
    for fmt in _formats(entry)
]


def _decode(entry: dict[str, Any], fmt: str) -> Any:
    result = get_transaction_result(entry)
    return decode_frame(frame(FRAME_FORMATS[fmt](result)), DETECTED_AT)


def test_the_manifest_holds_the_known_samples() -> None:
    launchpads = [entry["launchpad"] for entry in MANIFEST.values()]
    assert launchpads.count("pump_fun") == 14
    assert launchpads.count("raydium_launchlab") == 1
    assert sum(entry["failed"] for entry in MANIFEST.values()) == 2
    assert all(entry["launchpad"] in BY_NAME for entry in MANIFEST.values())


@pytest.mark.parametrize(("signature", "entry", "fmt"), CASES)
def test_real_tx_decodes_as_the_manifest_says(
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
    assert outcome.launchpad == entry["launchpad"]
    assert outcome.event == entry["event"]
    full = fmt in FULL_FORMATS
    if full or entry["launchpad"] in MINT_IN_LOGS:
        assert outcome.mint == entry["mint"]
        assert "mint" not in outcome.partial
    else:
        assert outcome.mint is None
    creator = entry.get("creator") or entry.get("user")
    if creator is not None:  # null for the create_v2 with its trailing args omitted
        assert outcome.creator == creator
    if "quote_mint" in entry:
        assert outcome.quote_mint == (entry["quote_mint"] if full else None)
    elif entry["launchpad"] == "pump_fun":
        # Every pump.fun sample is a SOL curve (CreateEvent quote mint zero, or no such field).
        assert outcome.quote_mint == "So11111111111111111111111111111111111111112"
    if "platform" in entry:
        assert outcome.platform == (entry["platform"] if full else None)


@pytest.mark.parametrize("fmt", [f for f in sorted(FULL_FORMATS) if f != "getTransaction-base64"])
def test_a_full_frame_reads_the_launch_from_the_instruction_when_the_logs_are_gone(
    fmt: str,
) -> None:
    # Same transactions with no log lines at all (a gRPC update without logs): the instruction
    # alone names the mint, for every launchpad sample.
    for entry in MANIFEST.values():
        if entry["failed"]:
            continue
        result = get_transaction_result(entry)
        result = {**result, "meta": {**result["meta"], "logMessages": []}}
        outcome = decode_frame(frame(FRAME_FORMATS[fmt](result)), DETECTED_AT)
        assert isinstance(outcome, Launch), (entry["file"], outcome)
        assert outcome.mint == entry["mint"], entry["file"]
