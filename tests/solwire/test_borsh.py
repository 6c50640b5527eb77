"""The Borsh reader and base58 behind event decoding (part of the decode tests)."""

from __future__ import annotations

import base58
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solwire.base58 import b58decode, b58encode
from solwire.borsh import BorshReader, EndOfData
from tests.solana_samples import fixture_json

CARBON = "pumpfun_create_instruction_accounts_and_data_carbon.json"


def test_carbon_create_instruction_data_reads_as_borsh_strings_and_a_pubkey() -> None:
    # Carbon's real pump.fun `create` instruction: 8-byte discriminator, then the arguments
    # name, symbol, uri (Borsh strings) and creator (a pubkey).
    sample = fixture_json(CARBON)
    data = bytes.fromhex(sample["data"])
    assert data[:8] == bytes.fromhex("181ec828051c0777")

    reader = BorshReader(data, 8)

    assert reader.string() == "Mystical Cat"
    assert reader.string() == "MC"
    assert reader.string() == "https://ipfs.io/ipfs/QmeXR4TB9NZVK279DAVDKevSLzrWSi9papnaknVPJ8AvHe"
    assert reader.pubkey() == "CkdtUhQdH2sHXJYTJTNFbF1K5W33WVgVHG7zffaMkEmv"
    assert reader.remaining == 0
    # The creator argument is the signing user, account 7 of the instruction.
    assert sample["accounts"][7]["pubkey"] == "CkdtUhQdH2sHXJYTJTNFbF1K5W33WVgVHG7zffaMkEmv"


def test_carbon_data_cut_anywhere_keeps_every_whole_field_before_the_cut() -> None:
    data = bytes.fromhex(fixture_json(CARBON)["data"])
    whole = [
        "Mystical Cat",
        "MC",
        "https://ipfs.io/ipfs/QmeXR4TB9NZVK279DAVDKevSLzrWSi9papnaknVPJ8AvHe",
        "CkdtUhQdH2sHXJYTJTNFbF1K5W33WVgVHG7zffaMkEmv",
    ]
    for cut in range(8, len(data)):
        reader = BorshReader(data[:cut], 8)
        fields: list[str] = []
        try:
            fields.append(reader.string())
            fields.append(reader.string())
            fields.append(reader.string())
            fields.append(reader.pubkey())
        except EndOfData:
            pass
        assert fields == whole[: len(fields)], cut
        assert len(fields) < 4  # the pubkey is the last 32 bytes: any cut loses it


def test_reader_integers_are_little_endian() -> None:
    data = (
        bytes([0x01, 0x02, 0x00])
        + (2**40 + 5).to_bytes(8, "little")
        + (-3).to_bytes(8, "little", signed=True)
    )
    reader = BorshReader(data)

    assert reader.u8() == 1
    assert reader.u16() == 2
    assert reader.u64() == 2**40 + 5
    assert reader.i64() == -3
    with pytest.raises(EndOfData):
        reader.u8()


def test_a_failed_read_does_not_move_the_reader() -> None:
    data = (100).to_bytes(4, "little") + b"short"
    reader = BorshReader(data)

    with pytest.raises(EndOfData):
        reader.string()
    assert reader.offset == 0
    assert reader.u32() == 100
    with pytest.raises(EndOfData):
        reader.pubkey()
    assert reader.offset == 4


def test_booleans_are_lenient() -> None:
    reader = BorshReader(bytes([0, 1, 2]))
    assert [reader.boolean(), reader.boolean(), reader.boolean()] == [False, True, True]


def test_strings_replace_bad_utf8_and_strip_nul_padding() -> None:
    raw = b"\x00Pepe\xff\x00\x00"
    reader = BorshReader(len(raw).to_bytes(4, "little") + raw)

    assert reader.string() == "Pepe\ufffd"


@pytest.mark.parametrize(
    "data",
    [b"", b"\x00", b"\x00\x00\x01", bytes(32), b"\x01" * 32, bytes(range(32)), b"\xff" * 64],
)
def test_b58encode_matches_the_reference_library(data: bytes) -> None:
    assert b58encode(data) == base58.b58encode(data).decode()


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=80))
def test_b58encode_round_trips(data: bytes) -> None:
    text = b58encode(data)
    assert text == base58.b58encode(data).decode()
    assert b58decode(text) == data


def test_b58decode_rejects_characters_outside_the_alphabet() -> None:
    with pytest.raises(ValueError):
        b58decode("0OIl")
