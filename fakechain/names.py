"""Token names, symbols, metadata URIs and buy sizes, the way launchers tend to pick them.

Faker supplies the words; the choices of style are seeded, so the same seed names the same tokens.
"""

from __future__ import annotations

import math
import random
from typing import TYPE_CHECKING

from solwire.base58 import ALPHABET
from solwire.programs import LAMPORTS_PER_SOL

if TYPE_CHECKING:
    from faker import Faker


def initial_buy_lamports(rng: random.Random) -> int:
    """The creator's first buy: mostly 0.1-3 SOL, now and then dust or a whale."""
    sol = math.exp(rng.gauss(math.log(0.8), 1.1))
    sol = min(25.0, max(0.005, sol))
    return int(sol * LAMPORTS_PER_SOL) + rng.randrange(0, 1000)


_NAME_PREFIXES = ("Baby", "Little", "Based", "Super", "Lil", "King", "Mega", "Dr", "Sir", "Giga")
_NAME_SUFFIXES = ("Coin", "Inu", "AI", "Cat", "Dog", "Frog", "2.0", "on Sol", "Token")
_EMOJIS = ("\U0001f680", "\U0001f438", "\U0001f525", "\U0001f436", "\U0001f48e")
_BASE32 = "abcdefghijklmnopqrstuvwxyz234567"


def identity(fake: Faker, current: bool) -> tuple[str, str, str]:
    """Name, symbol and metadata URI of a token, the way launchers tend to pick them."""
    r = fake.random
    style = r.random()
    if style < 0.28:
        words = [fake.word()]
    elif style < 0.46:
        words = [fake.word(), fake.word()]
    elif style < 0.58:
        words = [fake.first_name()]
    elif style < 0.68:
        words = [r.choice(_NAME_PREFIXES), fake.first_name()]
    elif style < 0.78:
        words = [fake.word(), r.choice(_NAME_SUFFIXES)]
    elif style < 0.88:
        words = [fake.color_name(), fake.word()]
    else:
        words = fake.catch_phrase().split()[:3]
    case = r.random()
    if case < 0.15:
        name = " ".join(words).upper()
    elif case < 0.25:
        name = " ".join(words).lower()
    else:
        name = " ".join(w[:1].upper() + w[1:] for w in words)
    if r.random() < 0.04:
        name = f"{name} {r.choice(_EMOJIS)}"
    name = name[:32]
    letters = [w for w in words if w[:1].isalnum()]
    if len(letters) == 1 and len(letters[0]) <= 10 and r.random() < 0.4:
        symbol = letters[0] if case >= 0.15 and r.random() < 0.3 else letters[0].upper()
    elif len(letters) > 1 and r.random() < 0.5:
        symbol = "".join(w[0] for w in letters).upper()
    else:
        symbol = "".join(letters)[: r.randint(3, 6)].upper()
    symbol = symbol or "TKN"
    if current or r.random() < 0.3:
        cid = "bafkrei" + "".join(r.choices(_BASE32, k=52))
        host = "https://ipfs.io/ipfs/"
    else:
        cid = "Qm" + "".join(r.choices(ALPHABET, k=44))
        host = r.choice(("https://cf-ipfs.com/ipfs/", "https://ipfs.io/ipfs/"))
    return name, symbol, host + cid
