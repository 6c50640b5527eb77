"""The frame formats: reading the few fields detection needs, and writing a logsNotification.

A frame is one JSON document in one of the formats the contract lists as the decoder's input:

- a JSON-RPC ``logsNotification`` (also its bare ``params.result``, i.e. ``{"context", "value"}``);
- a Helius ``transactionNotification`` (also its bare ``params.result``);
- a ``getTransaction`` response, with or without its JSON-RPC envelope, in ``jsonParsed``,
  ``json`` or ``base64`` encoding;
- a Yellowstone ``SubscribeUpdate`` holding a transaction, in protobuf's canonical JSON mapping
  (`solwire.yellowstone_json`), and the `Transaction` a gRPC source built itself.

`read_frame` parses the text ONCE and returns the project's `Transaction` model; for a frame that
carries the transaction itself, its instructions are read from the parsed document only when
detection asks for them (`solwire.instructions`).
Anything else raises `FrameError` with one of the reasons below, which are a Prometheus label:
the set is small and fixed. `logs_notification` and `instruction_error` write the one format the
synthetic generator sends.
"""

from __future__ import annotations

import binascii
from typing import Any

import orjson

from solwire import yellowstone_json
from solwire.base58 import b58encode
from solwire.instructions import json_loader, wire_loader
from solwire.txmodel import InstructionLoader, Transaction

__all__ = [
    "BAD_FIELD",
    "EMPTY_RESULT",
    "INTERNAL_ERROR",
    "MISSING_FIELD",
    "NOT_A_TRANSACTION",
    "NOT_JSON",
    "NOT_OBJECT",
    "RPC_ERROR",
    "UNDECODABLE_EVENT",
    "FrameError",
    "Transaction",
    "instruction_error",
    "logs_notification",
    "read_frame",
]

# The invalid-frame reasons (the decode step's INVALID_REASONS lists them all).
NOT_JSON = "not_json"
NOT_OBJECT = "not_object"
RPC_ERROR = "rpc_error"
NOT_A_TRANSACTION = "not_a_transaction"
EMPTY_RESULT = "empty_result"
MISSING_FIELD = "missing_field"
BAD_FIELD = "bad_field"
UNDECODABLE_EVENT = "undecodable_event"
INTERNAL_ERROR = "internal_error"

#: A base58 transaction signature is at most 88 characters; anything far longer is not one, and
#: would only bloat the dedup state downstream.
MAX_SIGNATURE_CHARS = 128
_DETAIL_VALUE_CHARS = 80


class FrameError(Exception):
    """The frame is not one the decoder understands: `reason` is the metric label."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def read_frame(payload: bytes | str | Transaction) -> Transaction:
    """Parse one frame. Raises `FrameError` for anything that is not a transaction frame.

    A binary source (gRPC) builds the `Transaction` itself: it passes through as it is."""
    if isinstance(payload, Transaction):
        return payload
    try:
        doc = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise FrameError(NOT_JSON, f"not valid JSON: {exc}") from None
    except TypeError:
        raise FrameError(
            NOT_JSON, f"payload is {type(payload).__name__}, expected bytes or str"
        ) from None
    if type(doc) is not dict:
        raise FrameError(NOT_OBJECT, f"top-level JSON value is {_kind(doc)}, expected an object")

    method = doc.get("method")
    if method is not None:
        if method == "logsNotification":
            return _fast_logs_notification(doc) or _logs_result(_params_result(doc), known=True)
        if method == "transactionNotification":
            return _helius_result(_params_result(doc))
        raise FrameError(NOT_A_TRANSACTION, f"method {_show(method)} carries no transaction")
    if "error" in doc:
        raise FrameError(RPC_ERROR, f"JSON-RPC error: {_show(doc['error'])}")
    if "result" in doc:
        result = doc["result"]
        if result is None:
            raise FrameError(EMPTY_RESULT, "JSON-RPC result is null (transaction not found?)")
        if type(result) is not dict:
            raise FrameError(
                NOT_A_TRANSACTION,
                f"JSON-RPC result is {_kind(result)} {_show(result)} (a subscription ack?)",
            )
        return _bare_result(result)
    return _bare_result(doc)


def _fast_logs_notification(doc: dict[str, Any]) -> Transaction | None:
    """The common case in one go: a well-formed logsNotification, read without the helper calls
    of the careful path (they cost more than the JSON parse on the hot path). None sends the
    frame to the careful path, which says exactly what is wrong with it."""
    try:
        result = doc["params"]["result"]
        value = result["value"]
        signature = value["signature"]
        logs = value["logs"]
        failed = value["err"] is not None
        slot = result["context"]["slot"]
    except (KeyError, TypeError):
        return None
    if (
        type(signature) is not str
        or not 0 < len(signature) <= MAX_SIGNATURE_CHARS
        or type(logs) is not list
        or type(slot) is not int
        or slot < 0
    ):
        return None
    try:
        text = "\n".join(logs)  # also checks that every line is a string
    except TypeError:
        return None
    return Transaction(signature, slot, failed, logs, text)


def _bare_result(obj: dict[str, Any]) -> Transaction:
    """A result object without a notification around it: which of the three shapes is it?"""
    if "value" in obj:
        return _logs_result(obj, known=False)
    if "meta" in obj:
        return _get_transaction_result(obj)
    inner = obj.get("transaction")
    if type(inner) is dict and "meta" in inner:
        return _helius_result(obj)
    if type(inner) is dict and yellowstone_json.is_subscribe_update(obj):
        return _subscribe_update(obj)
    keys = _show(list(obj)[:8])
    raise FrameError(NOT_A_TRANSACTION, f"object with keys {keys} is no transaction")


def _subscribe_update(doc: dict[str, Any]) -> Transaction:
    """A Yellowstone ``SubscribeUpdate`` in protobuf's JSON mapping (record mode's gRPC format)."""
    try:
        return yellowstone_json.read_subscribe_update(doc)
    except yellowstone_json.YellowstoneJsonError as exc:
        raise FrameError(exc.reason, exc.detail) from None


def _params_result(doc: dict[str, Any]) -> dict[str, Any]:
    params = doc.get("params")
    if params is None:
        raise FrameError(MISSING_FIELD, "notification has no params")
    if type(params) is not dict:
        raise FrameError(BAD_FIELD, f"params is {_kind(params)}, expected an object")
    if "result" not in params:
        raise FrameError(MISSING_FIELD, "notification has no params.result")
    result = params["result"]
    if result is None:
        raise FrameError(EMPTY_RESULT, "params.result is null")
    if type(result) is not dict:
        raise FrameError(BAD_FIELD, f"params.result is {_kind(result)}, expected an object")
    return result


def _logs_result(result: dict[str, Any], known: bool) -> Transaction:
    """``{"context": {"slot": N}, "value": {"signature", "err", "logs"}}``.

    `known`: the frame said it is a logsNotification. A bare context/value object that has
    neither signature nor logs is another kind of result (an account...), not a broken one.
    """
    value = result.get("value")
    if not known and (
        type(value) is not dict or ("signature" not in value and "logs" not in value)
    ):
        raise FrameError(NOT_A_TRANSACTION, f"value {_show(value)} is no transaction's")
    value = _object(result, "value", "value")
    context = result.get("context")
    if context is None:
        slot = None
    elif type(context) is dict:
        slot = _slot(context, "context.slot")
    else:
        raise FrameError(BAD_FIELD, f"context is {_kind(context)}, expected an object")
    signature = _signature(value.get("signature"), "value.signature")
    failed = _failed(value, "value.err")
    logs, text = _logs(value.get("logs"), "value.logs")
    return Transaction(signature, slot, failed, logs, text)


def _helius_result(result: dict[str, Any]) -> Transaction:
    """``{"signature", "slot", "transaction": {"transaction": {...}, "meta": {...}}}``."""
    signature = _signature(result.get("signature"), "signature")
    slot = _slot(result, "slot")
    outer = _object(result, "transaction", "transaction")
    meta = _object(outer, "meta", "transaction.meta")
    failed = _failed(meta, "transaction.meta.err")
    logs, text = _logs(meta.get("logMessages"), "transaction.meta.logMessages")
    inner = outer.get("transaction")
    loader: InstructionLoader | None = None
    if type(inner) is dict:
        message = inner.get("message")
        if type(message) is dict:
            loader = json_loader(message, meta)
    elif type(inner) is list and len(inner) == 2 and type(inner[0]) is str:
        loader = wire_loader(inner[0], meta)
    return Transaction(signature, slot, failed, logs, text, loader)


def _get_transaction_result(result: dict[str, Any]) -> Transaction:
    """``{"slot", "blockTime", "meta", "transaction": {"signatures", "message"}}``.

    The transaction is an object (``json`` / ``jsonParsed``) or ``[<base64>, "base64"]``, whose
    first signature is read from the wire bytes.
    """
    slot = _slot(result, "slot")
    meta = _object(result, "meta", "meta")
    tx = result.get("transaction")
    loader: InstructionLoader | None = None
    if type(tx) is dict:
        signatures = tx.get("signatures")
        if signatures is None:
            raise FrameError(MISSING_FIELD, "transaction.signatures is missing")
        if type(signatures) is not list or not signatures:
            raise FrameError(BAD_FIELD, "transaction.signatures is not a non-empty list")
        signature = _signature(signatures[0], "transaction.signatures[0]")
        message = tx.get("message")
        if type(message) is dict:
            loader = json_loader(message, meta)
    elif type(tx) is list:
        signature = _signature_from_wire(tx)
        loader = wire_loader(tx[0], meta)
    elif tx is None:
        raise FrameError(MISSING_FIELD, "transaction is missing")
    else:
        raise FrameError(BAD_FIELD, f"transaction is {_kind(tx)}, expected an object or a list")
    failed = _failed(meta, "meta.err")
    logs, text = _logs(meta.get("logMessages"), "meta.logMessages")
    return Transaction(signature, slot, failed, logs, text, loader)


def _signature_from_wire(encoded: list[Any]) -> str:
    """First signature of a ``[<base64>, "base64"]`` transaction.

    Wire format: a compact-u16 signature count, then 64-byte signatures. One byte holds counts
    below 128, which is every real transaction (the runtime caps signatures far lower).
    """
    if len(encoded) != 2 or encoded[1] != "base64" or type(encoded[0]) is not str:
        raise FrameError(BAD_FIELD, "transaction is a list but not [<base64>, 'base64']")
    try:
        # Only the first 65 bytes are needed: 88 base64 characters cover 66 bytes.
        head = binascii.a2b_base64(encoded[0][:88])
    except (binascii.Error, ValueError):
        raise FrameError(BAD_FIELD, "transaction is not valid base64") from None
    if len(head) < 65 or not 0 < head[0] < 0x80:
        raise FrameError(BAD_FIELD, "transaction bytes hold no signature")
    return b58encode(head[1:65])


def _object(parent: dict[str, Any], key: str, name: str) -> dict[str, Any]:
    value = parent.get(key)
    if type(value) is dict:
        return value
    if value is None:
        raise FrameError(MISSING_FIELD, f"{name} is missing")
    raise FrameError(BAD_FIELD, f"{name} is {_kind(value)}, expected an object")


def _signature(value: Any, name: str) -> str:
    if type(value) is str and 0 < len(value) <= MAX_SIGNATURE_CHARS:
        return value
    if value is None:
        raise FrameError(MISSING_FIELD, f"{name} is missing")
    if type(value) is str:
        raise FrameError(BAD_FIELD, f"{name} has {len(value)} characters")
    raise FrameError(BAD_FIELD, f"{name} is {_kind(value)}, expected a string")


def _slot(parent: dict[str, Any], name: str) -> int | None:
    """The slot, or None when the frame has none. ``bool`` is not a slot."""
    value = parent.get("slot")
    if value is None:
        return None
    if type(value) is int and value >= 0:
        return value
    raise FrameError(BAD_FIELD, f"{name} is {_kind(value)} {_show(value)}, expected an int >= 0")


def _failed(parent: dict[str, Any], name: str) -> bool:
    # `err` is null for a success and an object or string for a failure; absent is malformed.
    if "err" not in parent:
        raise FrameError(MISSING_FIELD, f"{name} is missing")
    return parent["err"] is not None


def _logs(value: Any, name: str) -> tuple[list[str], str]:
    if type(value) is not list:
        if value is None:
            raise FrameError(MISSING_FIELD, f"{name} is missing")
        raise FrameError(BAD_FIELD, f"{name} is {_kind(value)}, expected a list of strings")
    try:
        # One C-level pass both checks every item is a str and builds the marker haystack.
        text = "\n".join(value)
    except TypeError:
        raise FrameError(BAD_FIELD, f"{name} holds an item that is not a string") from None
    return value, text


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if type(value) is bool:
        return "a boolean"
    if type(value) in (int, float):
        return "a number"
    if type(value) is str:
        return "a string"
    if type(value) is list:
        return "an array"
    if type(value) is dict:
        return "an object"
    return type(value).__name__


def _show(value: Any) -> str:
    """A short rendering of a value for a human-readable detail."""
    try:
        text = orjson.dumps(value).decode()
    except (TypeError, orjson.JSONEncodeError):
        # Never repr(): a deeply nested value would recurse past Python's limit.
        text = f"<{_kind(value)}>"
    if len(text) > _DETAIL_VALUE_CHARS:
        text = text[: _DETAIL_VALUE_CHARS - 3] + "..."
    return text


# --- writing ---------------------------------------------------------------------------------


def logs_notification(
    *, slot: int, signature: str, err: Any, logs: list[str], subscription: int
) -> bytes:
    """A ``logsSubscribe`` notification, keys in the order an Agave node sends them."""
    return orjson.dumps(
        {
            "jsonrpc": "2.0",
            "method": "logsNotification",
            "params": {
                "result": {
                    "context": {"slot": slot},
                    "value": {"signature": signature, "err": err, "logs": logs},
                },
                "subscription": subscription,
            },
        }
    )


def instruction_error(index: int, custom: int) -> dict[str, Any]:
    """The ``err`` of a transaction whose instruction `index` returned custom error `custom`."""
    return {"InstructionError": [index, {"Custom": custom}]}
