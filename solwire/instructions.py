"""Reading the instructions of a full transaction frame into the transaction model.

Three shapes carry a whole transaction: the ``json`` encoding (keys as strings, instruction
accounts as indexes, data as base58), ``jsonParsed`` (every key as ``{"pubkey": ...}``, lookup
table keys included; instructions of known programs ``parsed`` instead of raw), and the binary
wire format (``[<base64>, "base64"]``, as getTransaction and blockSubscribe send it). In all three
the inner instructions come from ``meta.innerInstructions`` and the lookup-table keys from
``meta.loadedAddresses``.

The loaders never raise: whatever is unreadable is skipped (an instruction) or becomes
`UNKNOWN_KEY` (an account), so a broken frame yields fewer facts, never wrong ones.
"""

from __future__ import annotations

import binascii
from typing import Any

from solwire.base58 import b58encode
from solwire.txmodel import UNKNOWN_KEY, Instruction, InstructionLoader

__all__ = ["json_loader", "wire_loader"]


def json_loader(message: dict[str, Any], meta: dict[str, Any] | None) -> InstructionLoader:
    """A loader for a transaction in the ``json`` or ``jsonParsed`` encoding."""

    def load() -> tuple[list[str], list[Instruction]]:
        keys = _json_keys(message, meta)
        top = message.get("instructions")
        top_level = [_json_instruction(raw, keys, 1) for raw in top] if type(top) is list else []
        return keys, _with_inner(top_level, meta, keys)

    return load


def wire_loader(encoded: str, meta: dict[str, Any] | None) -> InstructionLoader:
    """A loader for a transaction in the binary wire format (base64 text)."""

    def load() -> tuple[list[str], list[Instruction]]:
        try:
            raw = binascii.a2b_base64(encoded)
        except (binascii.Error, ValueError):
            return [], []
        parsed = _parse_wire(raw)
        if parsed is None:
            return [], []
        keys, top = parsed
        keys.extend(_loaded_addresses(meta))
        top_level = [
            Instruction(_key(keys, program), [_key(keys, i) for i in accounts], data, 1)
            for program, accounts, data in top
        ]
        return keys, _with_inner(top_level, meta, keys)

    return load


# --- json / jsonParsed --------------------------------------------------------------------------


def _json_keys(message: dict[str, Any], meta: dict[str, Any] | None) -> list[str]:
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
            plain = False  # jsonParsed lists the lookup-table keys here already
        else:
            keys.append(UNKNOWN_KEY)
    if plain:
        keys.extend(_loaded_addresses(meta))
    return keys


def _loaded_addresses(meta: dict[str, Any] | None) -> list[str]:
    loaded = meta.get("loadedAddresses") if type(meta) is dict else None
    if type(loaded) is not dict:
        return []
    out: list[str] = []
    for part in ("writable", "readonly"):
        extra = loaded.get(part)
        if type(extra) is list:
            out.extend(key if type(key) is str else UNKNOWN_KEY for key in extra)
    return out


def _key(keys: list[str], index: Any) -> str:
    if type(index) is int and 0 <= index < len(keys):
        return keys[index]
    return UNKNOWN_KEY


def _json_instruction(raw: Any, keys: list[str], depth: int) -> Instruction:
    if type(raw) is not dict:
        return Instruction(UNKNOWN_KEY, (), None, depth)
    program = raw.get("programId")
    if type(program) is not str:
        program = _key(keys, raw.get("programIdIndex"))
    stack_height = raw.get("stackHeight")
    if type(stack_height) is int and stack_height >= 1:
        depth = stack_height
    accounts = raw.get("accounts")
    # Entries are indexes (json) or keys (jsonParsed); resolved only if a decoder reads them.
    indexes = accounts if type(accounts) is list else []
    data = raw.get("data")
    if type(data) is not str:  # a "parsed" instruction
        return Instruction(program, (), None, depth, account_indexes=indexes, keys=keys)
    return Instruction(
        program, (), None, depth, data_base58=data, account_indexes=indexes, keys=keys
    )


def _with_inner(
    top_level: list[Instruction], meta: dict[str, Any] | None, keys: list[str]
) -> list[Instruction]:
    """Top-level instructions with the inner ones each invoked placed right after it."""
    groups = meta.get("innerInstructions") if type(meta) is dict else None
    if type(groups) is not list or not groups:
        return top_level
    inner_by_index: dict[int, list[Any]] = {}
    for group in groups:
        if type(group) is dict:
            index, inner = group.get("index"), group.get("instructions")
            if type(index) is int and type(inner) is list:
                inner_by_index[index] = inner
    ordered: list[Instruction] = []
    for position, instruction in enumerate(top_level):
        ordered.append(instruction)
        for raw in inner_by_index.get(position, ()):
            ordered.append(_json_instruction(raw, keys, 2))
    return ordered


# --- the wire format -----------------------------------------------------------------------------


def _compact_u16(raw: bytes, at: int) -> tuple[int, int]:
    """A compact-u16 (1-3 bytes, 7 bits each) at `at`: (value, offset after it)."""
    value = shift = 0
    for _ in range(3):
        byte = raw[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, at
        shift += 7
    return value, at


def _parse_wire(raw: bytes) -> tuple[list[str], list[tuple[int, list[int], bytes]]] | None:
    """Static keys and top-level instructions (program index, account indexes, data) of a
    serialized transaction, legacy or v0; None when the bytes are not one."""
    try:
        signatures, at = _compact_u16(raw, 0)
        at += 64 * signatures
        if raw[at] & 0x80:  # versioned message: a version byte before the header
            at += 1
        at += 3  # header: required signatures, readonly signed, readonly unsigned
        count, at = _compact_u16(raw, at)
        if at + 32 * count + 32 > len(raw):  # keys, then the recent blockhash
            return None
        keys = [b58encode(raw[at + 32 * i : at + 32 * i + 32]) for i in range(count)]
        at += 32 * count + 32
        count, at = _compact_u16(raw, at)
        instructions: list[tuple[int, list[int], bytes]] = []
        for _ in range(count):
            program = raw[at]
            n_accounts, at = _compact_u16(raw, at + 1)
            accounts = list(raw[at : at + n_accounts])
            at += n_accounts
            n_data, at = _compact_u16(raw, at)
            data = raw[at : at + n_data]
            at += n_data
            if at > len(raw):
                return None
            instructions.append((program, accounts, data))
        return keys, instructions
    except IndexError:
        return None
