"""Registry modules' launches encoded once per pool entry and re-keyed for each launch.

A module's encoder (`Launchpad.synthetic`) builds a whole transaction per call (accounts,
instructions, events, the log walk's expected result): 60-300 us, many times the rest of a frame.
So a generator keeps, per launchpad and variant, up to `ENTRIES` encodings made from draws of
their own (seeded by the generator's seed, the launchpad, the variant and the entry's number:
which frame asks first does not matter, a frame stays a pure function of its index). Each is
rendered once into a template (`fakechain.templates`); a launch takes one entry and writes its
own mint, creator, name, symbol, URI and timestamp into it: as raw bytes (keys, timestamp) and
Borsh strings inside the events of ``Program data:`` lines, as base58 or text in the other lines.
What an entry keeps are the launch's other accounts (pool, vaults, config), its platform, its
buy size and its compute units: those repeat every `ENTRIES` launches of a variant.

A variant is what shapes the transaction beyond the re-keyed fields: the quote mint, whether
the token's key sorts before the quote's (CPMM and DAMM v2 order their two mints by key), and
whether it is a graduation. Failed launches are rare and take the module's encoder directly.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import random
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from fakechain.templates import compile_frame
from fakechain.templates import slot as slot_of
from solwire.base58 import ALPHABET, b58encode
from solwire.borsh import borsh_string
from solwire.launchpads import FoundLaunch, Launchpad
from solwire.launchpads._base import SyntheticLaunch, TokenDraw
from solwire.logs import DATA_PREFIX, LOG_PREFIX, render_logs

#: Encodings kept per launchpad and variant.
ENTRIES = 64
_TIMESTAMP = struct.Struct("<q")
_BASE58_TABLE = bytes(ord(ALPHABET[i % 58]) for i in range(256))
_BASE32_TABLE = bytes(ord("abcdefghijklmnopqrstuvwxyz234567"[i % 32]) for i in range(256))
_B64 = binascii.b2a_base64


@dataclass(frozen=True, slots=True)
class Variant:
    """What an entry is for: the launchpad and what shapes its transaction."""

    launchpad: str
    quote_mint: bytes
    #: The token's key sorts before the quote's.
    token_first: bool
    graduation: bool


@dataclass(frozen=True, slots=True)
class Keyed:
    """What a launch writes into its entry."""

    mint: bytes
    creator: bytes
    name: str
    symbol: str
    uri: str
    timestamp: int


@dataclass(frozen=True, slots=True)
class _Entry:
    fmt: bytes
    #: Per slot, in line order: the event bytes of a ``Program data:`` line, or a text line.
    slots: tuple[bytes | str, ...]
    #: The log walk's result (`FoundLaunch`'s fields).
    found: tuple[tuple[str, Any], ...]
    #: The instruction its launch line names.
    instruction: str
    drawn: Keyed
    mint_key: str
    creator_key: str


#: Draws the parts of an entry's TokenDraw that are not re-keyed: (quote decided by the variant)
#: platform_config, initial_buy_lamports, variation, compute-unit limit.
Extras = Callable[[random.Random, Variant], tuple[bytes | None, int, int, int]]


class ModulePool:
    """One generator's entries (not thread-safe: one per generator, like its caches)."""

    def __init__(self, tag: bytes, extras: Extras) -> None:
        self._tag = tag
        self._extras = extras
        self._entries: dict[tuple[Variant, int], _Entry] = {}

    def launch(
        self, launchpad: Launchpad, variant: Variant, number: int, keyed: Keyed
    ) -> tuple[bytes, str, dict[str, Any], tuple[bytes, ...]]:
        """The %-format of entry `number` of `variant`, its launch instruction, the log walk's
        result (as `FoundLaunch` fields) and the slot values, all re-keyed to `keyed`. Fill the
        format with ``fmt % (slot, signature, *values, subscription)``."""
        entry = self._entries.get((variant, number))
        if entry is None:
            entry = self._entries[(variant, number)] = self._build(launchpad, variant, number)
        old = entry.drawn
        mint_key, creator_key = b58encode(keyed.mint), b58encode(keyed.creator)
        raw = (
            (old.mint, keyed.mint),
            (old.creator, keyed.creator),
            (borsh_string(old.name), borsh_string(keyed.name)),
            (borsh_string(old.symbol), borsh_string(keyed.symbol)),
            (borsh_string(old.uri), borsh_string(keyed.uri)),
            (_TIMESTAMP.pack(old.timestamp), _TIMESTAMP.pack(keyed.timestamp)),
        )
        text = (
            (entry.mint_key, mint_key),
            (entry.creator_key, creator_key),
            (old.name, keyed.name),
            (old.symbol, keyed.symbol),
            (old.uri, keyed.uri),
        )
        values: list[bytes] = []
        for value in entry.slots:
            if isinstance(value, bytes):
                for before, after in raw:
                    value = value.replace(before, after)
                values.append(_B64(value, newline=False))
            else:
                for before_text, after_text in text:
                    value = value.replace(before_text, after_text)
                values.append(orjson.dumps(value)[1:-1])
        found = dict(entry.found)
        for field, before_text, after_text in (
            ("mint", entry.mint_key, mint_key),
            ("creator", entry.creator_key, creator_key),
            ("name", old.name, keyed.name),
            ("symbol", old.symbol, keyed.symbol),
            ("uri", old.uri, keyed.uri),
        ):
            if found[field] == before_text:
                found[field] = after_text
        return entry.fmt, entry.instruction, found, tuple(values)

    def _build(self, launchpad: Launchpad, variant: Variant, number: int) -> _Entry:
        encoder = launchpad.synthetic
        assert encoder is not None, launchpad.name
        label = (
            f"/module/{variant.launchpad}/{variant.quote_mint.hex()}/{variant.token_first}"
            f"/{variant.graduation}/{number}"
        )
        rng = random.Random(hashlib.sha256(self._tag + label.encode()).digest())
        mint = rng.randbytes(32)
        while (mint < variant.quote_mint) != variant.token_first:
            mint = rng.randbytes(32)
        drawn = Keyed(
            mint=mint,
            creator=rng.randbytes(32),
            # unique texts, so that re-keying replaces exactly them
            name="Nm" + rng.randbytes(14).translate(_BASE58_TABLE).decode(),
            symbol="Sy" + rng.randbytes(6).translate(_BASE58_TABLE).decode(),
            uri="https://ipfs.io/ipfs/bafkrei"
            + rng.randbytes(52).translate(_BASE32_TABLE).decode(),
            timestamp=1_787_000_000 + rng.randrange(10**6),
        )
        platform_config, buy, variation, limit = self._extras(rng, variant)
        draw = TokenDraw(
            mint=drawn.mint,
            creator=drawn.creator,
            name=drawn.name,
            symbol=drawn.symbol,
            uri=drawn.uri,
            quote_mint=variant.quote_mint,
            platform_config=platform_config,
            initial_buy_lamports=buy,
            timestamp=drawn.timestamp,
            keys=lambda: rng.randbytes(32),
            variation=variation,
        )
        launch: SyntheticLaunch = encoder(draw)
        logs = render_logs(launch.invokes, limit)
        mint_key, creator_key = b58encode(drawn.mint), b58encode(drawn.creator)
        raw = (
            drawn.mint,
            drawn.creator,
            borsh_string(drawn.name),
            borsh_string(drawn.symbol),
            borsh_string(drawn.uri),
            _TIMESTAMP.pack(drawn.timestamp),
        )
        texts = (mint_key, creator_key, drawn.name, drawn.symbol, drawn.uri)
        marked: list[str] = []
        slots: list[bytes | str] = []
        for line in logs:
            if line.startswith(DATA_PREFIX):
                event = base64.b64decode(line[len(DATA_PREFIX) :])
                if any(part in event for part in raw):
                    marked.append(DATA_PREFIX + slot_of(len(slots)))
                    slots.append(event)
                    continue
            if any(part in line for part in texts):
                marked.append(slot_of(len(slots)))
                slots.append(line)
                continue
            marked.append(line)
        return _Entry(
            fmt=compile_frame(marked, None),
            slots=tuple(slots),
            found=tuple(
                (name, getattr(launch.from_logs, name)) for name in FoundLaunch.__dataclass_fields__
            ),
            instruction=launch_instruction(logs, launchpad),
            drawn=drawn,
            mint_key=mint_key,
            creator_key=creator_key,
        )


def launch_instruction(logs: Sequence[str], launchpad: Launchpad) -> str:
    """The instruction the launch line names: the first line of `launchpad` that marks one."""
    for line in logs:
        if launchpad.is_launch_line(line):
            text = line[len(LOG_PREFIX) :]
            return text.removeprefix("Instruction: ").split(":", 1)[0]
    return ""
