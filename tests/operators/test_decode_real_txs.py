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


#: Every real sample by signature, with what a correct detector reports from its full frame
#: (launchpad, mint), or None for a failed transaction: written out here so that a manifest
#: change cannot silently change what the tests expect.
EXPECTED = {
    "2G2YFBmJBjeUMjBW73RvpNJqKq9eEsZ6DtASecvgTQvKM6JZPQQtc3teHDtLvxUgycJxxygyXy2bpcKc4RtAcYw8": (
        "pump_fun",
        "4wGfgnszUdCJeHvhWPAH9mRZYpxLm39VZkZ7Sjdcpump",
    ),
    "38j2VLxLmKvytugUhgMv8tanS3ai18znhpkALcgJFFegyWBYKYsrkW9NdUdUDhW2sBatQ8NJEHzzD5rHTDnrGxDJ": (
        "pump_fun",
        "CoZxFKaLnCr3Q1dfEix9NctWrGjNpkbzJcnEqQuypump",
    ),
    "3AgrmuGjTL4tThqNambGywNyZ6gYhro7hRBpUFCLGr7J62yMD4LHdSwqkFgCJir72HdsN62H8bYkjX4ipZDryDxD": (
        "pump_fun",
        "GNNDsp9BtAdbYxB343khJZBUkgRWiuotXmVu7qunpump",
    ),
    "3MwqHs2YKFFAkr6cAaDPd2ewjserQdm2kxFjkpwikjofHx8sZxRLVsjtvRgV6uJ337edbwNXBQ3yugidhnozXar4": (
        "pump_fun",
        "2LrctjjQPFmy59zdZ7vAHiHZ8RXy5ujm2yiroWi3pump",
    ),
    "3TZNP9rM7fNdbNth4cjPWRrpZQRHUrfZsjwQH3JE42FrpkMqmjYUzf4UwLF6uTiupig6ZSsDxhZJAyhfN1E3jz4A": (
        "pump_fun",
        "8xn5GuFnmMwzi25FA4xgJGE1MKyMZTLQUAVf4LUCpump",
    ),
    "4DqRrNJWhS3snWEAr64Mzefq6kjipzxLWVRFebETM5KgAqRK4k5j3YYfp22Bwi1XQLFLS6erYhSnZp9LCrfuEGU5": (
        "pump_fun",
        "G7817biL7NygkkjKqkT5kCWsfwKV94sAbf6CcSRspump",
    ),
    "56L2Dtm4jeeYLtFqfVYMvzuvquMBMrLmUmWAKMjHBgSG398RnWU38dkLthbNm5Qs7v5ziATCNoLdnseo4Dvc8xLQ": (
        "pump_fun",
        "EVZkDqgwNKGeUPZq9KwPEqiTD6YQz2GKHFNqeMQDpump",
    ),
    "5TszGhT2Qd6ivqkp7WKedhaXbB6f93PdoBSS8yLMcWZseTqRAzbDrL9BfvXfv68YyvVZUC5RYKb2spBfQsp8MMdg": (
        "pump_fun",
        "8x6ZTAvz3EWE4dgDs3ZyN9U4W6d5z6LkHVgihSv6pump",
    ),
    "5km9pHejwA7EJqsLKfkRZ4ELQnbmCFR3kMWbeSSr8fj9pYNHymq64ky1vpyBGfcGHL24FWiCFbsBjg7be6Mix1jZ": (
        "pump_fun",
        "47PWxPvFKCxHiZnH9xYqjeCSstqicsdWqgoKmQFbpump",
    ),
    "CCQnP4wEUuNE915jqo7b2LFVhzayiWMuDGhmLiYKkx8YcajiPWEhBayFhZmMe9DZfbEHpsmgq8hAcEuZWargyhM": (
        "pump_fun",
        "CD2bcj5woiE9RjrhDwyGM6uCjvTomMdXPciUpmnKpump",
    ),
    "2MfmZSU8mWEbskNHAxQGphAyB5x72SC2HYuAkLeSyH6MjttUHqUjm24wPMeH7zrCoQoYFwbLeiFE571mc8WvgZyL": (
        "pump_fun",
        "9VnZJfLDZDoJT5sx3pQYgS4xTJyJbJVxrZe66HH2pump",
    ),
    "2dabmQiykzC1tsNmgtRFbsRJjEKMfUySgScJc2J2uq8CQtoXWZ3YyT99p3nVuCXifEhLkyUe4Sf4nfe2UkFT8AJr": (
        "pump_fun",
        None,
    ),
    "3GufGVVRrnrH1Yuto57jDeTKXeki6ooE9w6h4qYRvNm5FcCpxwDHNvzHXdpAMbxRmukWJpSPHUKHEjnFTCC979ka": (
        "pump_fun",
        None,
    ),
    "4Qg8NDcsfNerhfopXxPc5jLy8CazF7LiNcCsHiujTaHDeKW9Qtpoqatsm1wBhakHTBXvg86SijXvHZXQ7dKPcQay": (
        "pump_fun",
        "PuuQ746gUr4mUkMzZhaYkgQomxQNpVgQfdEmZUVpump",
    ),
    "2FG9RsWQ6Gz9JNT8K1rwTiypfkAjDFSe4xdGwp1uJYTnZu8tDCkNmpXyNX89S6b7iXZfJA4eTCgtrhSQkvfJmvPi": (
        "raydium_launchlab",
        "H4Jz31z5JKrPKtbndUqvpj29KK6kMFdcnduwgmMu6BPE",
    ),
}


@pytest.mark.parametrize("signature", sorted(EXPECTED), ids=lambda s: s[:12])
def test_each_real_sample_gives_its_named_outcome(signature: str) -> None:
    entry = MANIFEST[signature]
    launchpad, mint = EXPECTED[signature]
    outcome = _decode(entry, "getTransaction")
    if entry["failed"]:
        assert mint is None and outcome is None
        return
    assert isinstance(outcome, Launch)
    assert (outcome.signature, outcome.launchpad, outcome.mint) == (signature, launchpad, mint)
