"""The Solana RPC websocket protocol as the ``solana_ws`` source sees it: what a reply, an error
and a notification's slot look like, and the subscribe requests it sends. Pure functions, no I/O.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

import orjson

log = logging.getLogger("connectors.solana_ws")

#: The ``source`` setting's name for this source: its metrics' label and every frame's ``source``
#: (the output field); and its one partition.
SOURCE = "solana_ws"
PARTITION = "solana_ws-0"

#: Frames handed to Bytewax per `next_batch` at most (big batches are Bytewax's throughput knob).
MAX_BATCH = 4096
#: How long the worker waits before polling an empty queue again. Bounds the added latency of a
#: frame that arrives while the worker sleeps; 100 polls/s of an empty deque cost nothing.
DEFAULT_IDLE_WAIT_S = 0.01
#: A reply to a request is small; a frame larger than this is never parsed by the source.
MAX_REPLY_BYTES = 64 * 1024
#: How far into a frame (from either end) the source looks for ``"method"`` and the slot.
_WINDOW = 512

_METHOD_KEY = b'"method"'
# A slot is a u64: at most 20 digits (a longer number is garbage, and too big for a gauge).
_CONTEXT_SLOT = re.compile(rb'"context"\s*:\s*\{\s*"slot"\s*:\s*(\d{1,20})(?!\d)')
_ANY_SLOT = re.compile(rb'"slot"\s*:\s*(\d{1,20})(?!\d)')


class SolanaWsError(RuntimeError):
    """The source cannot go on (every subscription refused, or the URL is unusable)."""


#: JSON-RPC error codes after which asking again cannot help.
_PERMANENT = {-32601: "method_not_found", -32602: "invalid_params", -32600: "invalid_request"}
_RATE_LIMIT_CODES = frozenset({429, -32005, -32429})
_RATE_LIMIT_WORDS = ("too many requests", "rate limit", "rate-limit", "ratelimit")


def classify_error(error: object) -> tuple[str, bool]:
    """``(kind, permanent)`` for the ``error`` member of a JSON-RPC reply.

    ``kind`` is the ``source_errors`` label: ``rate_limited``, ``method_not_found``,
    ``invalid_params``, ``invalid_request`` or ``refused`` (anything else). Only the three
    protocol errors are permanent.
    """
    code = error.get("code") if isinstance(error, dict) else None
    message = error.get("message") if isinstance(error, dict) else error
    text = str(message).lower()
    if type(code) is not int:
        code = None
    if code in _RATE_LIMIT_CODES or any(word in text for word in _RATE_LIMIT_WORDS):
        return "rate_limited", False
    if code in _PERMANENT:
        return _PERMANENT[code], True
    return "refused", False


def slot_of(frame: bytes) -> int | None:
    """The slot of a notification, read cheaply: ``params.result.context.slot`` near the start
    of a ``logsNotification``, ``params.result.slot`` (after the whole transaction) near the end
    of a Helius ``transactionNotification``. None when the frame shows none."""
    head = frame[:_WINDOW]
    match = _CONTEXT_SLOT.search(head)
    if match is None and b"transactionNotification" in head:
        tail = frame[-_WINDOW:]
        found = _ANY_SLOT.findall(tail)
        if found:
            return int(found[-1])
        match = _ANY_SLOT.search(head)
    return int(match.group(1)) if match else None


def _reply_of(frame: bytes) -> dict[str, Any] | None:
    """The parsed frame when it is a JSON-RPC reply (an ``id``, a ``result`` or an ``error``, no
    ``method``), else None. Only small frames without ``"method"`` near the start are parsed."""
    if len(frame) > MAX_REPLY_BYTES or _METHOD_KEY in frame[:_WINDOW]:
        return None
    try:
        doc = orjson.loads(frame)
    except orjson.JSONDecodeError:
        return None
    if (
        type(doc) is dict
        and "method" not in doc
        and "id" in doc
        and ("result" in doc or "error" in doc)
    ):
        return doc
    return None


def _show(value: object, limit: int = 160) -> str:
    try:
        text = orjson.dumps(value).decode()
    except (TypeError, orjson.JSONEncodeError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --- settings --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SolanaWsSettings:
    """What the client needs. The configuration validates every value (`flows.settings` maps it)."""

    #: Not in the repr: it may carry an API key.
    url: str = field(repr=False)
    programs: tuple[str, ...] = ()
    commitment: str = "processed"
    transaction_subscribe: bool = False
    ping_interval_s: float = 30.0
    #: Reconnect when no frame arrived for this long and a ping then gets no pong either.
    silence_timeout_s: float = 60.0
    max_frame_bytes: int = 64 * 1024 * 1024
    reconnect_initial_s: float = 0.5
    reconnect_max_s: float = 30.0
    queue_capacity: int = 10_000
    open_timeout_s: float = 10.0
    close_timeout_s: float = 1.0


@dataclass
class _Subscription:
    """One subscribe request we want to hold, and what became of it."""

    method: str
    programs: tuple[str, ...]
    params: list[Any]
    #: Consecutive transient refusals (drives the retry backoff); reset by an ack.
    refusals: int = 0
    given_up: bool = False

    @property
    def label(self) -> str:
        if self.method == "logsSubscribe":
            return f"logsSubscribe of program {self.programs[0]}"
        return f"{self.method} of {len(self.programs)} programs ({', '.join(self.programs)})"


def _subscriptions(settings: SolanaWsSettings) -> list[_Subscription]:
    commitment = {"commitment": settings.commitment}
    if settings.transaction_subscribe:
        programs = settings.programs
        return [
            _Subscription(
                "transactionSubscribe",
                programs,
                [
                    {"accountInclude": list(programs), "failed": False, "vote": False},
                    {
                        **commitment,
                        "encoding": "jsonParsed",
                        "transactionDetails": "full",
                        "maxSupportedTransactionVersion": 0,
                    },
                ],
            )
        ]
    return [
        _Subscription("logsSubscribe", (program,), [{"mentions": [program]}, commitment])
        for program in settings.programs
    ]
