"""The real 2025-2026 mainnet transactions of the shared fixtures, as frames for decode_frame.

They live in ``fixtures/solana/real_txs/`` of the shared directory beside the repository (CI keeps
a copy of it next to the clone), with a manifest saying what a correct detector reports for each.
Every sample is a complete getTransaction result, so it can be fed in each frame format a source
delivers: the result as stored, the same in a JSON-RPC envelope, wrapped in a Helius
``transactionNotification``, and as the ``logsNotification`` of its ``meta.logMessages``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

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


#: Frame format name -> how to make that frame from a getTransaction result.
FRAME_FORMATS: dict[str, Callable[[dict[str, Any]], bytes]] = {
    "getTransaction": as_bare_result,
    "getTransaction-envelope": as_rpc_response,
    "transactionNotification": as_helius_notification,
    "logsNotification": get_transaction_to_logs_notification,
}
