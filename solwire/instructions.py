"""The instructions of a full transaction frame, in the ``jsonParsed`` or ``json`` encoding.

A logs-only frame tells which program did what; a full transaction also names the accounts each
instruction touched (where Raydium's mints are) and carries Anchor's self-CPI copies of events
(which survive a log truncation). These helpers read both without trusting the frame's shape:
anything unreadable is skipped, never raised.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from solwire.base58 import b58decode
from solwire.programs import EVENT_CPI_TAG

__all__ = [
    "account_keys",
    "accounts",
    "cpi_events",
    "instruction_data",
    "instructions",
    "program_id",
]

# Longest instruction data worth decoding (base58 decoding is quadratic in the length): a CPI event
# is a few hundred characters, a Raydium initialize2 about 35.
_MAX_DATA_CHARS = 4096


def account_keys(message: dict[str, Any], meta: dict[str, Any] | None) -> list[str]:
    """All account keys in index order. Unreadable entries become "" to keep indexes aligned.

    jsonParsed lists every key (lookup-table ones included) as ``{"pubkey": ...}``; the json
    encoding lists the static keys as strings and the loaded ones in ``meta.loadedAddresses``.
    """
    raw = message.get("accountKeys")
    if type(raw) is not list:
        return []
    keys: list[str] = []
    plain = True
    for entry in raw:
        if type(entry) is str:
            keys.append(entry)
        elif type(entry) is dict and type(entry.get("pubkey")) is str:
            keys.append(entry["pubkey"])
            plain = False
        else:
            keys.append("")
    loaded = meta.get("loadedAddresses") if plain and meta is not None else None
    if type(loaded) is dict:
        for part in ("writable", "readonly"):
            extra = loaded.get(part)
            if type(extra) is list:
                keys.extend(key if type(key) is str else "" for key in extra)
    return keys


def instructions(message: dict[str, Any], meta: dict[str, Any] | None) -> Iterator[dict[str, Any]]:
    """Instructions in execution order: each top-level one, then the inner ones it invoked."""
    top = message.get("instructions")
    if type(top) is not list:
        return
    inner_by_index: dict[int, list[Any]] = {}
    groups = meta.get("innerInstructions") if meta is not None else None
    if type(groups) is list:
        for group in groups:
            if type(group) is dict:
                index, inner = group.get("index"), group.get("instructions")
                if type(index) is int and type(inner) is list:
                    inner_by_index[index] = inner
    for position, instruction in enumerate(top):
        if type(instruction) is dict:
            yield instruction
        for inner_instruction in inner_by_index.get(position, ()):
            if type(inner_instruction) is dict:
                yield inner_instruction


def _key_at(keys: list[str], index: Any) -> str | None:
    if type(index) is int and 0 <= index < len(keys):
        return keys[index]
    return None


def program_id(instruction: dict[str, Any], keys: list[str]) -> str | None:
    program = instruction.get("programId")
    if type(program) is str:
        return program
    return _key_at(keys, instruction.get("programIdIndex"))


def accounts(instruction: dict[str, Any], keys: list[str]) -> list[str] | None:
    """The instruction's accounts as keys (jsonParsed: keys already; json: indexes)."""
    raw = instruction.get("accounts")
    if type(raw) is not list:
        return None
    accounts: list[str] = []
    for entry in raw:
        key = entry if type(entry) is str else _key_at(keys, entry)
        if key is None:
            return None
        accounts.append(key)
    return accounts


def instruction_data(instruction: dict[str, Any]) -> bytes | None:
    """The instruction data (base58 in both JSON encodings), None when absent or unreadable."""
    raw = instruction.get("data")
    if type(raw) is not str or len(raw) > _MAX_DATA_CHARS:
        return None
    try:
        return b58decode(raw)
    except ValueError:
        return None


def cpi_events(
    message: dict[str, Any], meta: dict[str, Any] | None, program: str, first: bytes
) -> list[bytes]:
    """Events `program` emitted by self-CPI, from the one starting with `first` on.

    Each is returned without the CPI tag, so it starts with its discriminator like a
    "Program data:" payload.
    """
    keys = account_keys(message, meta)
    events: list[bytes] = []
    for instruction in instructions(message, meta):
        if program_id(instruction, keys) != program:
            continue
        data = instruction_data(instruction)
        if data is None or data[:8] != EVENT_CPI_TAG:
            continue
        event = data[8:]
        if events or event[:8] == first:
            events.append(event)
    return events
