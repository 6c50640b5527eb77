"""A Yellowstone ``SubscribeUpdate`` holding a transaction, in protobuf's canonical JSON mapping.

This is what record mode writes for the ``yellowstone`` source (`MessageToJson` of the update the
server streamed), so a recording replays through the decoder like any other frame. Read here from
the parsed JSON alone, without protobuf: the mapping is a public, fixed format.

    {"filters": ["launchpads"],
     "transaction": {"transaction": {"signature": <base64>, "transaction": {"message": {
                        "accountKeys": [<base64>...], "instructions": [{"programIdIndex": 3,
                        "accounts": <base64>, "data": <base64>}...]}},
                     "meta": {"err": {...}?, "logMessages": [...], "logMessagesNone": true?,
                              "innerInstructions": [{"index": 0, "instructions": [...]}],
                              "loadedWritableAddresses": [...], "loadedReadonlyAddresses": [...]}},
                     "slot": "123"},
     "createdAt": "..."}

What the mapping does that matters here: bytes are base64; field names are lowerCamelCase (a
reader must also accept the proto names, ``log_messages``); 64-bit integers are strings; a field
at its default (0, false, empty) is left out, so a missing ``programIdIndex`` is 0 and a missing
``err`` means the transaction succeeded.
"""

from __future__ import annotations

import binascii
from typing import Any

from solwire.base58 import b58encode
from solwire.txmodel import UNKNOWN_KEY, Instruction, InstructionLoader, Transaction

__all__ = ["is_subscribe_update", "read_subscribe_update"]

#: The reasons of `FrameError` this reader raises (the names in solwire/frames.py).
MISSING_FIELD = "missing_field"
BAD_FIELD = "bad_field"


class YellowstoneJsonError(Exception):
    """The update is malformed: `reason` is a `solwire.frames` reason."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def is_subscribe_update(doc: dict[str, Any]) -> bool:
    """Does `doc` look like a transaction update? (``transaction.transaction`` is the
    transaction info, which has a ``signature``; no other frame format nests it so.)"""
    outer = doc.get("transaction")
    if type(outer) is not dict:
        return False
    info = outer.get("transaction")
    return type(info) is dict and "signature" in info


def read_subscribe_update(doc: dict[str, Any]) -> Transaction:
    """The update's transaction. Raises `YellowstoneJsonError` for a malformed one."""
    outer = doc["transaction"]
    info = outer["transaction"]
    signature = _b58_of(info.get("signature"), "transaction.transaction.signature")
    slot = _uint(outer.get("slot", 0), "transaction.slot")
    meta = info.get("meta")
    if meta is None:
        raise YellowstoneJsonError(MISSING_FIELD, "transaction.transaction.meta is missing")
    if type(meta) is not dict:
        raise YellowstoneJsonError(BAD_FIELD, "transaction.transaction.meta is not an object")
    failed = meta.get("err") is not None
    logs = _field(meta, "logMessages", "log_messages", [])
    if _field(meta, "logMessagesNone", "log_messages_none", False) is True:
        logs = []
    if type(logs) is not list:
        raise YellowstoneJsonError(BAD_FIELD, "meta.logMessages is not a list")
    try:
        text = "\n".join(logs)
    except TypeError:
        raise YellowstoneJsonError(BAD_FIELD, "meta.logMessages holds a non-string") from None
    tx = info.get("transaction")
    message = tx.get("message") if type(tx) is dict else None
    loader = _loader(message, meta) if type(message) is dict else None
    return Transaction(signature, slot, failed, logs, text, loader)


def _loader(message: dict[str, Any], meta: dict[str, Any]) -> InstructionLoader:
    def load() -> tuple[list[str], list[Instruction]]:
        keys = [
            _key_text(raw)
            for name, proto_name, parent in (
                ("accountKeys", "account_keys", message),
                ("loadedWritableAddresses", "loaded_writable_addresses", meta),
                ("loadedReadonlyAddresses", "loaded_readonly_addresses", meta),
            )
            for raw in _list(_field(parent, name, proto_name, []))
        ]
        inner_by_index: dict[int, list[Any]] = {}
        for group in _list(_field(meta, "innerInstructions", "inner_instructions", [])):
            if type(group) is dict:
                index = _int_or_none(group.get("index", 0))
                if index is not None:
                    inner_by_index[index] = _list(group.get("instructions"))
        ordered: list[Instruction] = []
        for position, raw in enumerate(_list(message.get("instructions"))):
            ordered.append(_instruction(raw, keys, 1))
            ordered.extend(
                _instruction(inner, keys, 2) for inner in inner_by_index.get(position, ())
            )
        return keys, ordered

    return load


def _instruction(raw: Any, keys: list[str], depth: int) -> Instruction:
    if type(raw) is not dict:
        return Instruction(UNKNOWN_KEY, (), None, depth)
    program = _resolve(keys, _int_or_none(_field(raw, "programIdIndex", "program_id_index", 0)))
    height = _int_or_none(_field(raw, "stackHeight", "stack_height", None))
    if height is not None and height >= 1:
        depth = height
    indexes = _bytes_or_none(raw.get("accounts", ""))
    accounts = [keys[i] if i < len(keys) else UNKNOWN_KEY for i in indexes or b""]
    return Instruction(program, accounts, _bytes_or_none(raw.get("data", "")), depth)


def _resolve(keys: list[str], index: int | None) -> str:
    if index is not None and 0 <= index < len(keys):
        return keys[index]
    return UNKNOWN_KEY


def _field(parent: dict[str, Any], json_name: str, proto_name: str, default: Any) -> Any:
    if json_name in parent:
        return parent[json_name]
    return parent.get(proto_name, default)


def _list(value: Any) -> list[Any]:
    return value if type(value) is list else []


def _bytes_or_none(value: Any) -> bytes | None:
    if type(value) is not str:
        return None
    try:
        return binascii.a2b_base64(value)
    except (binascii.Error, ValueError):
        return None


def _key_text(value: Any) -> str:
    raw = _bytes_or_none(value)
    return b58encode(raw) if raw is not None and len(raw) == 32 else UNKNOWN_KEY


def _b58_of(value: Any, name: str) -> str:
    if value is None:
        raise YellowstoneJsonError(MISSING_FIELD, f"{name} is missing")
    raw = _bytes_or_none(value)
    if raw is None or len(raw) != 64:
        raise YellowstoneJsonError(BAD_FIELD, f"{name} is not 64 bytes of base64")
    return b58encode(raw)


def _int_or_none(value: Any) -> int | None:
    # The mapping writes 32-bit integers as numbers and 64-bit ones as strings; both are read.
    if type(value) is int:
        return value
    if type(value) is str and value.isdigit() and len(value) <= 20:
        return int(value)
    return None


def _uint(value: Any, name: str) -> int:
    number = _int_or_none(value)
    if number is None or number < 0:
        raise YellowstoneJsonError(BAD_FIELD, f"{name} is not an unsigned integer")
    return number
