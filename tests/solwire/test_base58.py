"""Base58: the Rust encoder and decoder and the pure-Python fallbacks agree with each other and with
the reference `base58` package, on keys, long instruction data and leading zero bytes."""

from __future__ import annotations

import base58
import pytest
from hypothesis import given
from hypothesis import strategies as st

from solwire.base58 import b58decode, b58decode_python, b58encode, b58encode_python


@given(st.binary(max_size=400))
def test_encoders_and_decoders_agree_with_the_reference(raw: bytes) -> None:
    text = b58encode(raw)
    assert text == base58.b58encode(raw).decode() == b58encode_python(raw)
    assert b58decode(text) == raw
    assert b58decode_python(text) == raw


@pytest.mark.parametrize("decode", [b58decode, b58decode_python])
@pytest.mark.parametrize("text", ["0", "O", "I", "l", "abc+", "é", "11 1"])
def test_a_character_outside_the_alphabet_is_a_value_error(decode: object, text: str) -> None:
    with pytest.raises(ValueError):
        decode(text)  # type: ignore[operator]
