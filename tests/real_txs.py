"""The real 2025-2026 mainnet transactions of the shared fixtures, as frames for decode_frame.

They live in ``fixtures/solana/real_txs/`` of the shared directory beside the repository (CI keeps
a copy of it next to the clone), with a manifest saying what a correct detector reports for each.
Every sample is a complete getTransaction result, so it can be fed in each frame format a source
delivers: the result as stored, the same in a JSON-RPC envelope, wrapped in a Helius
``transactionNotification``, and as the ``logsNotification`` of its ``meta.logMessages``.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

import base58
import orjson

from tests.solana_samples import get_transaction_to_logs_notification

SHARED_SOLANA = Path(__file__).resolve().parent.parent.parent / "shared" / "fixtures" / "solana"
REAL_TXS = SHARED_SOLANA / "real_txs"


def manifest() -> dict[str, dict[str, Any]]:
    """Signature -> what the sample is (file, failed, launchpad, mint, user/creator, ...)."""
    loaded: dict[str, dict[str, Any]] = orjson.loads((REAL_TXS / "manifest.json").read_bytes())
    return loaded


def get_transaction_result(entry: dict[str, Any]) -> dict[str, Any]:
    """The stored getTransaction result (no envelope) of one manifest entry."""
    result: dict[str, Any] = orjson.loads((REAL_TXS / entry["file"]).read_bytes())
    return result


def as_bare_result(result: dict[str, Any]) -> bytes:
    return orjson.dumps(result)


def as_rpc_response(result: dict[str, Any]) -> bytes:
    return orjson.dumps({"jsonrpc": "2.0", "result": result, "id": 1})


def as_helius_notification(result: dict[str, Any]) -> bytes:
    """The transaction as Helius' transactionNotification delivers it (``json`` encoding)."""
    inner = {"transaction": result["transaction"], "meta": result["meta"]}
    if "version" in result:
        inner["version"] = result["version"]
    return orjson.dumps(
        {
            "jsonrpc": "2.0",
            "method": "transactionNotification",
            "params": {
                "subscription": 4242,
                "result": {
                    "transaction": inner,
                    "signature": result["transaction"]["signatures"][0],
                    "slot": result["slot"],
                },
            },
        }
    )


def as_json_parsed(result: dict[str, Any]) -> bytes:
    """The same result in the ``jsonParsed`` shape: every key as ``{"pubkey", ...}`` with the
    lookup-table keys appended, instruction accounts as keys, the program as ``programId``.

    (A real node also replaces the instructions of the programs it knows with a ``parsed``
    object; the launchpads are not among them, and the decoder skips ``parsed`` ones.)
    """
    message = result["transaction"]["message"]
    loaded = result["meta"].get("loadedAddresses") or {}
    keys = [*message["accountKeys"], *loaded.get("writable", []), *loaded.get("readonly", [])]

    def parsed(instruction: dict[str, Any]) -> dict[str, Any]:
        out = {
            "programId": keys[instruction["programIdIndex"]],
            "accounts": [keys[i] for i in instruction["accounts"]],
            "data": instruction["data"],
        }
        if "stackHeight" in instruction:
            out["stackHeight"] = instruction["stackHeight"]
        return out

    meta = dict(result["meta"])
    meta["innerInstructions"] = [
        {"index": group["index"], "instructions": [parsed(i) for i in group["instructions"]]}
        for group in meta.get("innerInstructions") or []
    ]
    meta.pop("loadedAddresses", None)
    static = len(message["accountKeys"])
    account_keys = [
        {"pubkey": key, "signer": False, "writable": True, "source": "transaction"}
        if index < static
        else {"pubkey": key, "signer": False, "writable": False, "source": "lookupTable"}
        for index, key in enumerate(keys)
    ]
    tx = {
        "signatures": result["transaction"]["signatures"],
        "message": {
            "accountKeys": account_keys,
            "instructions": [parsed(i) for i in message["instructions"]],
            "recentBlockhash": message["recentBlockhash"],
        },
    }
    return orjson.dumps({"jsonrpc": "2.0", "result": {**result, "transaction": tx, "meta": meta}})


def _compact_u16(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def as_base64(result: dict[str, Any]) -> bytes:
    """The same result with the transaction in the binary wire encoding (``[<b64>, "base64"]``),
    as getTransaction with ``encoding: base64`` and blockSubscribe send it: the signed bytes are
    serialised back from the ``json`` message (legacy or v0)."""
    tx = result["transaction"]
    message = tx["message"]
    header = message["header"]
    parts = [_compact_u16(len(tx["signatures"]))]
    parts += [base58.b58decode(signature) for signature in tx["signatures"]]
    if result.get("version", "legacy") != "legacy":
        parts.append(bytes((0x80,)))  # v0
    parts.append(
        bytes(
            (
                header["numRequiredSignatures"],
                header["numReadonlySignedAccounts"],
                header["numReadonlyUnsignedAccounts"],
            )
        )
    )
    parts.append(_compact_u16(len(message["accountKeys"])))
    parts += [base58.b58decode(key) for key in message["accountKeys"]]
    parts.append(base58.b58decode(message["recentBlockhash"]))
    parts.append(_compact_u16(len(message["instructions"])))
    for instruction in message["instructions"]:
        data = base58.b58decode(instruction["data"])
        parts.append(bytes((instruction["programIdIndex"],)))
        parts.append(_compact_u16(len(instruction["accounts"])) + bytes(instruction["accounts"]))
        parts.append(_compact_u16(len(data)) + data)
    if result.get("version", "legacy") != "legacy":
        lookups = message.get("addressTableLookups") or []
        parts.append(_compact_u16(len(lookups)))
        for lookup in lookups:
            parts.append(base58.b58decode(lookup["accountKey"]))
            for part in ("writableIndexes", "readonlyIndexes"):
                parts.append(_compact_u16(len(lookup[part])) + bytes(lookup[part]))
    encoded = base64.b64encode(b"".join(parts)).decode("ascii")
    return orjson.dumps({**result, "transaction": [encoded, "base64"]})


#: Frame format name -> how to make that frame from a getTransaction result.
FRAME_FORMATS: dict[str, Callable[[dict[str, Any]], bytes]] = {
    "getTransaction": as_bare_result,
    "getTransaction-envelope": as_rpc_response,
    "getTransaction-jsonParsed": as_json_parsed,
    "getTransaction-base64": as_base64,
    "transactionNotification": as_helius_notification,
    "logsNotification": get_transaction_to_logs_notification,
}
#: The formats that carry the instructions (the rest carry logs only).
FULL_FORMATS = frozenset(FRAME_FORMATS) - {"logsNotification"}
