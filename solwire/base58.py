"""Base58 (Bitcoin alphabet), the text form of Solana public keys and signatures.

Encoding is on the decoder's path (every key it reports) and on the generator's (every launch): it
uses `based58` where its wheel installs (a 32-byte key 1.5 us against 3.1 us for the pure-Python
encoder, measured here in one run), else two digits per big-integer division. Decoding is on
the path of every launch read from a full transaction (instruction data, CPI events, keys): it
uses the `based58` package (Rust) where its wheel installs, else a pure-Python decoder that
combines digit pairs as a balanced tree of big-integer products. Measured here
(benchmarks/decode_cost.py's note in the README): a 44-character key 0.8 us with based58 / 12 us
in pure Python / 20 us with the `base58` package; 410 characters (a CPI event) 43 / 66 / 217 us.
The two writers at the end spell keys and signatures straight from random bytes, for the
synthetic frames.
"""

from __future__ import annotations

from types import ModuleType

_based58: ModuleType | None
try:  # the Rust decoder, where its wheel exists for this platform
    import based58 as _based58
except ImportError:  # pragma: no cover - exercised where based58 has no wheel
    _based58 = None

__all__ = [
    "ALPHABET",
    "SIGNATURE_ENTROPY_BYTES",
    "b58decode",
    "b58decode_python",
    "b58encode",
    "b58encode_python",
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
    if _based58 is not None:
        return str(_based58.b58encode(data).decode("ascii"))
    return b58encode_python(data)


def b58encode_python(data: bytes) -> str:
    """The pure-Python encoder (where `based58` has no wheel): two digits per division."""
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


_DIGIT_PAIRS = {a + b: i * 58 + j for i, a in enumerate(ALPHABET) for j, b in enumerate(ALPHABET)}


def b58decode(text: str) -> bytes:
    """Base58 text to bytes. Raises ValueError on a character outside the alphabet."""
    if _based58 is not None:
        try:
            raw = text.encode("ascii")
        except UnicodeEncodeError:
            raise ValueError("base58 text holds a non-ASCII character") from None
        return bytes(_based58.b58decode(raw))
    return b58decode_python(text)


def b58decode_python(text: str) -> bytes:
    """The pure-Python decoder: digit pairs (base 58**2), then adjacent values combined level by
    level (big-integer products of balanced sizes, not one growing number times 58 per digit)."""
    try:
        head = [_INDEX[text[0]]] if len(text) % 2 else []
        values = head + [_DIGIT_PAIRS[text[i : i + 2]] for i in range(len(head), len(text), 2)]
    except KeyError:
        raise ValueError("base58 text holds a character outside the alphabet") from None
    base = 58 * 58
    while len(values) > 1:
        if len(values) % 2:
            values.insert(0, 0)  # a zero in front: the most significant end
        values = [values[i] * base + values[i + 1] for i in range(0, len(values), 2)]
        base *= base
    number = values[0] if values else 0
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body


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
