"""Base58 (Bitcoin alphabet), the text form of Solana public keys and signatures.

Encoding is on the decoder's path (every key it reports) and on the generator's (every frame), so
it takes two digits per big-integer division. Decoding is rarer and leans on the `base58` package.
The two writers at the end spell keys and signatures straight from random bytes, for the
synthetic frames.
"""

from __future__ import annotations

import base58 as _base58

__all__ = [
    "ALPHABET",
    "SIGNATURE_ENTROPY_BYTES",
    "b58decode",
    "b58encode",
    "pubkey_with_suffix",
    "signature_from_entropy",
]

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {c: i for i, c in enumerate(ALPHABET)}
# Two base58 digits per division: half the big-integer divisions of the textbook loop.
_PAIRS = tuple(a + b for a in ALPHABET for b in ALPHABET)
_PAIR_BASE = 58 * 58


def b58encode(data: bytes) -> str:
    """Base58 of `data`, as Solana shows public keys and signatures."""
    n = int.from_bytes(data, "big")
    digits: list[str] = []
    append = digits.append
    while n:
        n, pair = divmod(n, _PAIR_BASE)
        append(_PAIRS[pair])
    digits.reverse()
    # The leading pair may carry a zero digit ("1"); leading zero BYTES become "1"s below.
    text = "".join(digits).lstrip("1")
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + text


def b58decode(text: str) -> bytes:
    """Base58 text to bytes. Raises ValueError on a character outside the alphabet."""
    return _base58.b58decode(text)


_BYTE_TABLE = bytes(ord(ALPHABET[i % 58]) for i in range(256))
SIGNATURE_ENTROPY_BYTES = 88


def signature_from_entropy(raw: bytes) -> str:
    """A base58 transaction signature (88 characters, decoding to exactly 64 bytes) spelled
    directly from 88 random bytes, a tenth of the cost of encoding 64 random bytes.

    The first digit is 2-5, so the value lies in [58**87, 5 * 58**87), inside [2**504, 2**512):
    64 bytes without a leading zero byte.
    """
    head = ALPHABET[1 + raw[0] % 4]
    return head + raw[1:SIGNATURE_ENTROPY_BYTES].translate(_BYTE_TABLE).decode("ascii")


def pubkey_with_suffix(entropy: int, suffix: str) -> bytes:
    """A 32-byte key whose base58 form ends with `suffix`, built without grinding.

    Since late 2024 pump.fun mints are vanity addresses ending in ``pump``. The last k base58
    digits of a number are the number modulo 58**k, so the key is ``q * 58**k + value(suffix)``
    with ``q`` taken from `entropy`, kept below 2**256 and above 2**248 (no leading zero byte, so
    always 43-44 characters).
    """
    k = len(suffix)
    tail = 0
    for char in suffix:
        tail = tail * 58 + _INDEX[char]
    modulus = 58**k
    low = -(-(1 << 248) // modulus)
    high = ((1 << 256) - 1 - tail) // modulus
    q = low + entropy % (high - low)
    return (q * modulus + tail).to_bytes(32, "big")
