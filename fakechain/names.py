"""Token names, symbols, metadata URIs and buy sizes, the way launchers tend to pick them.

Faker supplies the words (its en_US lists, read once); the launch's own draw picks them and the
style, so the same seed names the same tokens.
"""

from __future__ import annotations

import bisect
import functools
import math
import random

from solwire.base58 import ALPHABET
from solwire.programs import LAMPORTS_PER_SOL


def initial_buy_lamports(rng: random.Random) -> int:
    """The creator's first buy: mostly 0.1-3 SOL, now and then dust or a whale."""
    sol = math.exp(rng.gauss(math.log(0.8), 1.1))
    sol = min(25.0, max(0.005, sol))
    return int(sol * LAMPORTS_PER_SOL) + rng.randrange(0, 1000)


_NAME_PREFIXES = ("Baby", "Little", "Based", "Super", "Lil", "King", "Mega", "Dr", "Sir", "Giga")
_NAME_SUFFIXES = ("Coin", "Inu", "AI", "Cat", "Dog", "Frog", "2.0", "on Sol", "Token")
_EMOJIS = ("\U0001f680", "\U0001f438", "\U0001f525", "\U0001f436", "\U0001f48e")
# base32 (CIDv1) and base58 (CIDv0) digits spelled from random bytes by one translate each
_BASE32_TABLE = bytes(ord("abcdefghijklmnopqrstuvwxyz234567"[i % 32]) for i in range(256))
_BASE58_TABLE = bytes(ord(ALPHABET[i % 58]) for i in range(256))


class _Words:
    """Faker's en_US word lists, read once: the launch's own draw picks from them, so no Faker
    instance is seeded per launch (that cost more than the rest of a launch)."""

    def __init__(self) -> None:
        from faker.providers.color.en_US import Provider as Colors
        from faker.providers.company.en_US import Provider as Companies
        from faker.providers.lorem.en_US import Provider as Lorem
        from faker.providers.person.en_US import Provider as People

        self.words: tuple[str, ...] = tuple(Lorem.word_list)
        # first names weighted by frequency, as Faker draws them
        self.first_names: tuple[str, ...] = tuple(People.first_names)
        cumulative, running = [], 0.0
        for weight in People.first_names.values():
            running += weight
            cumulative.append(running)
        self.first_name_weights: tuple[float, ...] = tuple(cumulative)
        self.colors: tuple[str, ...] = tuple(Colors.all_colors)
        self.catch_phrase: tuple[tuple[str, ...], ...] = tuple(
            tuple(words) for words in Companies.catch_phrase_words
        )


@functools.cache
def _words() -> _Words:
    return _Words()


def identity(r: random.Random, current: bool) -> tuple[str, str, str]:
    """Name, symbol and metadata URI of a token, the way launchers tend to pick them (Faker's
    en_US words, drawn by `r`)."""
    lists = _words()
    words_list = lists.words

    def first_name() -> str:
        weights = lists.first_name_weights
        at = bisect.bisect(weights, r.random() * weights[-1])
        return lists.first_names[min(at, len(weights) - 1)]

    style = r.random()
    if style < 0.28:
        words = [r.choice(words_list)]
    elif style < 0.46:
        words = [r.choice(words_list), r.choice(words_list)]
    elif style < 0.58:
        words = [first_name()]
    elif style < 0.68:
        words = [r.choice(_NAME_PREFIXES), first_name()]
    elif style < 0.78:
        words = [r.choice(words_list), r.choice(_NAME_SUFFIXES)]
    elif style < 0.88:
        words = [r.choice(lists.colors), r.choice(words_list)]
    else:
        words = [r.choice(part) for part in lists.catch_phrase]
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
        cid = "bafkrei" + r.randbytes(52).translate(_BASE32_TABLE).decode("ascii")
        host = "https://ipfs.io/ipfs/"
    else:
        cid = "Qm" + r.randbytes(44).translate(_BASE58_TABLE).decode("ascii")
        host = r.choice(("https://cf-ipfs.com/ipfs/", "https://ipfs.io/ipfs/"))
    return name, symbol, host + cid
