"""Real Solana websocket frames from tests/fixtures, and a partition opened for a test.

Every frame here is a verbatim fixture (see each fixture's ``.source.txt``) except where a name
says otherwise; the test server fills in its own subscription ids and request ids.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from prometheus_client import CollectorRegistry

from connectors.solana_ws.protocol import PARTITION
from connectors.solana_ws.source import SolanaWsPartition, SolanaWsSource
from domain.metrics import Metrics
from tests.solana_samples import PUMP_FUN, RAYDIUM_AMM_V4, fixture_bytes, fixture_lines

# The mints the real launch frames decode to (as in tests/e2e/test_replay_job.py).
LEGACY_MINT = "ER2N5eaDoC68kNhj7LyaScimzq7deaqxiw88rewvxaKp"
CREATEV2_MINT = "7YD6ZHb39jGb33ki2iFd7kHK11yMkSFCc9kvjJscpump"
RAYDIUM_MINT = "6Ed5YTw9AoUhr5VcsjZdGHqpdruqgCaZcLv7WU6npump"

#: logsNotification frames of real launches (converted from real transactions).
PUMP_CREATEV2 = fixture_bytes("converted_pumpfun_createv2_logsNotification.json").strip()
PUMP_CREATE_LEGACY = fixture_bytes("converted_pumpfun_create_legacy_logsNotification.json").strip()
RAYDIUM_INIT_LOGS = fixture_bytes("converted_raydium_initialize2_logsNotification.json").strip()

#: Helius transactionNotification frames, verbatim: one Raydium initialize2, two swaps.
(HELIUS_RAYDIUM_INIT,) = fixture_lines(
    "helius_transactionNotification_raydium_initialize2_one.jsonl"
)
HELIUS_SWAPS = fixture_lines("helius_transactionNotification_raydium_swaps_two.jsonl")

_CAPTURE = fixture_lines("ws_frames_agave_vs_helius_verbatim_2026-08.jsonl")


def _capture(predicate: Any) -> bytes:
    return next(line for line in _CAPTURE if predicate(orjson.loads(line)))


#: The real mainnet vote logsNotification (slot 438214712): valid, no launch.
VOTE_LOGS = _capture(lambda d: d.get("method") == "logsNotification")
VOTE_SLOT = 438214712
#: A real slotNotification: a notification of another kind.
SLOT_NOTIFICATION = _capture(lambda d: d.get("method") == "slotNotification")
#: Helius' real answer to blockSubscribe: ``-32601 Method not found``.
METHOD_NOT_FOUND = _capture(lambda d: d.get("error", {}).get("code") == -32601)
#: Agave's real answer to a bad pubkey: ``-32602 Invalid Request: Invalid pubkey provided``.
INVALID_PUBKEY = _capture(lambda d: "Invalid pubkey" in str(d.get("error")))
#: Agave's real answer to an unsubscribe of an unknown id (id 9999).
INVALID_SUBSCRIPTION_ID = _capture(lambda d: d.get("id") == 9999)
#: Helius' real ``{"result":false}`` for a stale unsubscribe (id 3).
STALE_UNSUBSCRIBE = _capture(lambda d: d.get("result") is False)

#: Rate-limit replies. No real capture is at hand: these follow the JSON-RPC shape of the real
#: errors above with the codes providers use (HTTP-style 429, and -32005 "limit exceeded").
RATE_LIMITED_429 = b'{"jsonrpc":"2.0","error":{"code":429,"message":"Too many requests"},"id":1}'
RATE_LIMITED_32005 = (
    b'{"jsonrpc":"2.0","error":{"code":-32005,"message":"Rate limit exceeded"},"id":1}'
)

PROGRAMS = (PUMP_FUN, RAYDIUM_AMM_V4)


@contextmanager
def open_partition(
    url: str, programs: tuple[str, ...] = PROGRAMS, **settings: Any
) -> Iterator[tuple[SolanaWsPartition, Metrics]]:
    """A `SolanaWsSource` partition connected to `url` (small backoff unless given), closed at
    the end of the block."""
    metrics = Metrics(CollectorRegistry())
    settings.setdefault("reconnect_initial_s", 0.02)
    settings.setdefault("reconnect_max_s", 0.2)
    source = SolanaWsSource(url, programs, metrics, **settings)
    part = source.build_part("input", PARTITION, None)
    try:
        yield part, metrics
    finally:
        part.close()


def sample(metrics: Metrics, name: str, **labels: str) -> float:
    """A sample of a ``source_*`` series of the solana_ws source (0 when it does not exist)."""
    value = metrics.registry.get_sample_value(name, {"source": "solana_ws", **labels})
    return 0.0 if value is None else value
