"""The ``solana_ws`` source: live frames from a Solana RPC websocket (any node, or Helius).

A background thread runs an asyncio client (``websockets``) that connects to ``ws_url`` and
subscribes:

- by default with one ``logsSubscribe`` per program of ``ws_programs`` (the ``mentions`` filter
  takes one program id), at ``ws_commitment``;
- with ``ws_transaction_subscribe``, with ONE Helius ``transactionSubscribe`` whose
  ``accountInclude`` lists every program (``failed: false``, ``vote: false``, ``jsonParsed``,
  full details, ``maxSupportedTransactionVersion: 0``): full transactions, so Raydium launches
  come with their mints. Failed transactions are not asked for: the detector ignores them anyway,
  and on pump.fun they are a large share of the traffic.

Every frame that is not a reply to one of our requests is handed to the dataflow as a `RawFrame`
holding the exact bytes received, stamped with ``clock()`` when it arrived. The source reads no
more of a frame than it must: a reply (``{"id":N,"result"|"error":…}``) is recognised because it
has no ``"method"`` near its start and is small; a notification's slot (for the gap metrics) is
read with a regular expression from its first or last few hundred bytes.

What the source does with each kind of frame, and why:

- **subscription acks** are recorded (subscription id -> programs,
  `SolanaWsPartition.subscriptions`) and never handed on;
- **error replies** are logged (WARNING or ERROR, with the method and the program they answer and
  the redacted URL) and counted in ``source_errors{source="solana_ws",kind}``: ``method_not_found``
  (-32601) and ``invalid_params`` / ``invalid_request`` (-32602 / -32600) are permanent: that
  subscription is given up with an ERROR log and never sent again, not even after a reconnect (a
  node that does not have ``transactionSubscribe`` will not grow it by being asked every few
  seconds). ``rate_limited`` (HTTP-style 429, -32005, -32429, or "too many requests" / "rate
  limit" in the message) and any other error (``refused``) are transient: that one subscription is
  sent again on the same connection after the reconnect backoff (doubling, full jitter), so a
  refusal is never retried in a tight loop. When EVERY subscription has been given up, the source
  has nothing left to receive: it closes the connection and `next_batch` raises `SolanaWsError`,
  which stops the job with that message (a sniffer that runs but cannot see anything should fail
  loudly, not look healthy);
- **replies to no pending request** (``{"result":false,"id":3}``, an error for id 9999) are
  counted (``unexpected_reply``, or the error's kind) and logged, never handed on;
- **everything else** (notifications of any kind, text that is not JSON, binary frames, JSON of
  the wrong shape) is handed on unchanged. The decoder counts what it cannot use in
  ``tx_invalid{reason}`` and writes it to the dead-letter file: one place counts bad frames, so the
  job's conservation law covers them and the evidence is kept. We subscribe only to logs or
  transactions, so other notifications do not arrive from a well-behaved node.

Reconnects: a lost connection (or a failed attempt) is retried after
``random.uniform(0, min(ws_reconnect_max_s, ws_reconnect_initial_s * 2**n))`` seconds (full
jitter), ``n`` counting the failed attempts since the last connection that delivered a frame.
Every subscription still wanted is sent again. Each successful reconnection counts one
``source_reconnects``, and the gap is measured: ``source_gap_last_slot_before`` (the highest slot
seen before), ``source_gap_first_slot_after`` (the slot of the first frame after) and
``source_gap_slots`` (after - before). A websocket cannot replay what it missed: the source keeps
no resume state (its snapshot is None) and its delivery is **at most once across reconnects**;
frames of the reconnect overlap may arrive twice, and the dataflow's dedup removes those.

The hand-over queue holds ``source_queue_capacity`` frames. When it is full the OLDEST frame is
dropped (a fresher frame is worth more to a sniper) and counted in ``source_dropped``;
``source_queue_depth`` follows the queue. Frames still queued when the partition closes are
counted there too.

The URL may carry an API key (in the query, the userinfo, or a path segment): every log line shows
it through `redact_url`, and the ``websockets`` library's own log lines (its DEBUG lines print the
request path and headers) go through a logger that masks the key and the Basic credentials.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import orjson
from bytewax.inputs import FixedPartitionedSource, StatefulSourcePartition
from pydantic import SecretStr
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import (
    ConnectionClosed,
    InvalidHandshake,
    InvalidStatus,
    InvalidURI,
)

from connectors.url_secrets import Redactor, redact_url
from domain.metrics import Metrics
from domain.models import RawFrame

if TYPE_CHECKING:
    from domain.config import SnifferConfig

__all__ = [
    "MAX_BATCH",
    "PARTITION",
    "SOURCE",
    "SolanaWsError",
    "SolanaWsPartition",
    "SolanaWsSource",
    "WsSettings",
    "backoff_delay",
    "classify_error",
    "redact_url",
    "slot_of",
]

log = logging.getLogger(__name__)

#: The ``source`` label of the source's metrics, and its one partition.
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


class _ScrubbingLogger(logging.LoggerAdapter[logging.Logger]):
    """Hands ``websockets``' log lines on with the URL's secrets masked (its DEBUG lines print
    the request path, which holds a query-string key, and the Authorization header)."""

    def __init__(self, logger: logging.Logger, redactor: Redactor) -> None:
        super().__init__(logger, {})
        self._redactor = redactor

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        if not self.isEnabledFor(level):
            return
        try:
            text = str(msg) % args if args else str(msg)
        except Exception:
            text = " ".join(str(part) for part in (msg, *args))
        kwargs.pop("extra", None)
        self.logger.log(level, "%s", self._redactor.scrub(text), **kwargs)


# --- pure helpers ----------------------------------------------------------------------------


def backoff_delay(
    attempt: int, initial: float, maximum: float, rng: random.Random | None = None
) -> float:
    """Seconds to wait before retry number ``attempt`` (0 = the first retry): exponential
    (``initial * 2**attempt``, capped at ``maximum``) with full jitter."""
    cap = min(maximum, initial * 2.0 ** min(attempt, 64))
    return (rng or random).uniform(0.0, cap)


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
class WsSettings:
    """What the client needs; `SolanaWsSource.from_config` fills it from the configuration."""

    #: Not in the repr: it may carry an API key.
    url: str = field(repr=False)
    programs: tuple[str, ...] = ()
    commitment: str = "processed"
    transaction_subscribe: bool = False
    ping_interval_s: float = 30.0
    max_frame_bytes: int = 64 * 1024 * 1024
    reconnect_initial_s: float = 0.5
    reconnect_max_s: float = 30.0
    queue_capacity: int = 10_000
    open_timeout_s: float = 10.0
    close_timeout_s: float = 1.0

    def __post_init__(self) -> None:
        problems = []
        if not self.programs:
            problems.append("programs: at least one program id is needed")
        if self.queue_capacity < 1:
            problems.append(f"queue_capacity={self.queue_capacity}: must be > 0")
        if not self.reconnect_initial_s > 0 or not self.reconnect_max_s > 0:
            problems.append("reconnect_initial_s and reconnect_max_s must be > 0")
        if self.max_frame_bytes < 1:
            problems.append(f"max_frame_bytes={self.max_frame_bytes}: must be > 0")
        if not self.ping_interval_s > 0:
            problems.append(f"ping_interval_s={self.ping_interval_s}: must be > 0")
        if problems:
            raise ValueError("; ".join(problems))


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


def _subscriptions(settings: WsSettings) -> list[_Subscription]:
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


# --- the hand-over queue ---------------------------------------------------------------------


class _FrameQueue:
    """Bounded, drop-oldest, shared by the client thread (put) and the worker (take)."""

    def __init__(self, capacity: int, metrics: Metrics) -> None:
        self.capacity = capacity
        self._frames: deque[RawFrame] = deque()
        self._lock = threading.Lock()
        self._depth = metrics.source_queue_depth.labels(SOURCE)
        self._dropped = metrics.source_dropped.labels(SOURCE)
        self._depth.set(0)
        self._last_warning = 0.0
        self.dropped = 0

    def put(self, frame: RawFrame) -> None:
        with self._lock:
            if len(self._frames) >= self.capacity:
                self._frames.popleft()
                self._dropped.inc()
                self.dropped += 1
                dropped = self.dropped
            else:
                dropped = 0
            self._frames.append(frame)
            self._depth.set(len(self._frames))
        if dropped:
            now = time.monotonic()
            if now - self._last_warning >= 10.0 or dropped == 1:
                self._last_warning = now
                log.warning(
                    "solana_ws: the dataflow does not keep up: queue full (%d frames), "
                    "dropping the oldest; %d dropped so far",
                    self.capacity,
                    dropped,
                )

    def take(self, limit: int) -> list[RawFrame]:
        with self._lock:
            if not self._frames:
                return []
            if len(self._frames) <= limit:
                batch = list(self._frames)
                self._frames.clear()
            else:
                batch = [self._frames.popleft() for _ in range(limit)]
            self._depth.set(len(self._frames))
            return batch

    def discard(self) -> int:
        """Drop everything still queued (the partition closes); counted as dropped."""
        with self._lock:
            left = len(self._frames)
            self._frames.clear()
            if left:
                self._dropped.inc(left)
                self.dropped += left
            self._depth.set(0)
            return left

    def __len__(self) -> int:
        return len(self._frames)


# --- the client ------------------------------------------------------------------------------


class _Client:
    """The asyncio side: connect, subscribe, receive, reconnect. Runs in the source's thread."""

    def __init__(
        self,
        settings: WsSettings,
        metrics: Metrics,
        clock: Callable[[], float],
        queue: _FrameQueue,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self._metrics = metrics
        self._clock = clock
        self._queue = queue
        self._rng = rng or random.Random()
        self._redactor = Redactor(settings.url)
        self.shown_url = self._redactor.shown
        self._wire_logger = _ScrubbingLogger(logging.getLogger(f"{__name__}.wire"), self._redactor)
        self._subs = _subscriptions(settings)
        self._next_id = 0
        self._pending: dict[int, _Subscription] = {}
        self._retries: set[asyncio.Task[None]] = set()
        #: Subscription id -> the programs it covers, for the current connection.
        self.subscriptions: dict[int, tuple[str, ...]] = {}
        #: Why the source cannot go on; set once, read by the worker.
        self.fatal: str | None = None
        self.connected = False
        self.connections = 0
        self.received = 0
        self._delivered = False
        self._highest_slot: int | None = None
        self._gap_pending = False
        self._reconnects = metrics.source_reconnects.labels(SOURCE)
        self._reconnects.inc(0)

    # -- errors and logging -----------------------------------------------------------------

    def _count(self, kind: str) -> None:
        self._metrics.source_errors.labels(SOURCE, kind).inc()

    def _scrub(self, exc: BaseException) -> str:
        text = str(exc) or type(exc).__name__
        return f"{type(exc).__name__}: {self._redactor.scrub(text)}"

    def _give_up_everything(self, why: str) -> None:
        self.fatal = f"solana_ws ({self.shown_url}): {why}"
        log.error("solana_ws: %s; the source stops (%s)", why, self.shown_url)

    # -- the loop -----------------------------------------------------------------------------

    async def run(self) -> None:
        failures = 0
        while self.fatal is None:
            self._delivered = False
            try:
                await self._connection()
            except asyncio.CancelledError:
                raise
            except ConnectionClosed as exc:
                self._on_lost(exc)
            except InvalidURI as exc:
                self._count("bad_url")
                self._give_up_everything(f"the URL is not a websocket URL ({self._scrub(exc)})")
            except InvalidStatus as exc:
                self._on_rejected(exc.response.status_code)
            except (OSError, TimeoutError, InvalidHandshake) as exc:
                self._count("connect_failed")
                log.warning("solana_ws: cannot connect to %s: %s", self.shown_url, self._scrub(exc))
            except Exception as exc:  # a bug here must not kill the thread silently
                self._count("internal")
                log.error("solana_ws: unexpected error on %s: %s", self.shown_url, self._scrub(exc))
            finally:
                self.connected = False
                for task in self._retries:
                    task.cancel()
                self._retries.clear()
            if self.fatal is not None:
                return
            if self._delivered:
                failures = 0
            delay = backoff_delay(
                failures,
                self.settings.reconnect_initial_s,
                self.settings.reconnect_max_s,
                self._rng,
            )
            failures += 1
            log.info(
                "solana_ws: reconnecting to %s in %.2f s (attempt %d)",
                self.shown_url,
                delay,
                failures,
            )
            await asyncio.sleep(delay)

    async def _connection(self) -> None:
        s = self.settings
        log.info("solana_ws: connecting to %s", self.shown_url)
        async with connect(
            s.url,
            ping_interval=s.ping_interval_s,
            ping_timeout=s.ping_interval_s,
            max_size=s.max_frame_bytes,
            open_timeout=s.open_timeout_s,
            close_timeout=s.close_timeout_s,
            logger=self._wire_logger,
        ) as ws:
            self.connected = True
            self.connections += 1
            if self.connections > 1:
                self._reconnects.inc()
                self._gap_pending = True
                log.info("solana_ws: reconnected to %s", self.shown_url)
            else:
                log.info("solana_ws: connected to %s", self.shown_url)
            try:
                await self._session(ws)
            except asyncio.CancelledError:
                # The partition closes: say goodbye properly (1000), not as a crash (1011).
                await ws.close()
                raise

    async def _session(self, ws: ClientConnection) -> None:
        self._pending.clear()
        self.subscriptions = {}
        for sub in self._subs:
            if not sub.given_up:
                await self._subscribe(ws, sub)
        while self.fatal is None:
            data = await ws.recv(decode=False)
            self._on_frame(ws, data, self._clock())

    async def _subscribe(self, ws: ClientConnection, sub: _Subscription) -> None:
        self._next_id += 1
        self._pending[self._next_id] = sub
        request = {
            "jsonrpc": "2.0",
            "id": self._next_id,
            "method": sub.method,
            "params": sub.params,
        }
        await ws.send(orjson.dumps(request).decode())
        log.debug("solana_ws: sent %s (id %d)", sub.label, self._next_id)

    async def _subscribe_later(
        self, ws: ClientConnection, sub: _Subscription, delay: float
    ) -> None:
        await asyncio.sleep(delay)
        if not sub.given_up:
            # A connection lost meanwhile is the receive loop's to report; the next one
            # subscribes everything again.
            with contextlib.suppress(ConnectionClosed):
                await self._subscribe(ws, sub)

    # -- frames -------------------------------------------------------------------------------

    def _on_frame(self, ws: ClientConnection, data: bytes, arrived_at: float) -> None:
        reply = None
        try:
            reply = _reply_of(data)
            if reply is not None:
                self._on_reply(ws, reply)
                return
            slot = slot_of(data)
            if slot is not None:
                self._note_slot(slot)
        except Exception as exc:  # no frame may break the connection
            self._count("internal")
            log.error("solana_ws: could not read a frame: %s", self._scrub(exc))
            if reply is not None:
                return
        self.received += 1
        self._delivered = True
        self._queue.put(RawFrame(data, arrived_at))

    def _note_slot(self, slot: int) -> None:
        before = self._highest_slot
        if self._gap_pending:
            self._gap_pending = False
            m = self._metrics
            m.source_gap_first_slot_after.labels(SOURCE).set(slot)
            if before is None:
                log.info(
                    "solana_ws: first slot after the reconnect %d (no slot was seen before)", slot
                )
            else:
                m.source_gap_last_slot_before.labels(SOURCE).set(before)
                m.source_gap_slots.labels(SOURCE).set(slot - before)
                log.log(
                    logging.WARNING if slot > before else logging.INFO,
                    "solana_ws: gap across the reconnect: last slot before %d, first slot after "
                    "%d (%d slots; what the node sent in between is lost)",
                    before,
                    slot,
                    slot - before,
                )
        if before is None or slot > before:
            self._highest_slot = slot

    def _on_reply(self, ws: ClientConnection, reply: dict[str, Any]) -> None:
        request_id = reply.get("id")
        sub = self._pending.pop(request_id, None) if type(request_id) is int else None
        if "error" in reply:
            self._on_error_reply(ws, reply["error"], request_id, sub)
            return
        result = reply.get("result")
        if sub is None:
            self._count("unexpected_reply")
            log.warning(
                "solana_ws: reply to no request of ours from %s (id %s): %s",
                self.shown_url,
                _show(request_id),
                _show(result),
            )
            return
        if type(result) is int:
            sub.refusals = 0
            self.subscriptions[result] = sub.programs
            log.info("solana_ws: %s acknowledged: subscription %d", sub.label, result)
            return
        self._count("bad_reply")
        self._retry(ws, sub, f"answered with {_show(result)} instead of a subscription id")

    def _on_error_reply(
        self, ws: ClientConnection, error: object, request_id: object, sub: _Subscription | None
    ) -> None:
        kind, permanent = classify_error(error)
        self._count(kind)
        if sub is None:
            log.warning(
                "solana_ws: error reply to no request of ours from %s (id %s): %s: %s",
                self.shown_url,
                _show(request_id),
                kind,
                _show(error),
            )
            return
        if not permanent:
            self._retry(ws, sub, f"refused: {kind}: {_show(error)}")
            return
        sub.given_up = True
        log.error(
            "solana_ws: %s refused by %s: %s: %s; giving it up (it is not asked again, not even "
            "after a reconnect)",
            sub.label,
            self.shown_url,
            kind,
            _show(error),
        )
        if all(s.given_up for s in self._subs):
            self._give_up_everything("every subscription was refused; nothing left to receive")

    def _retry(self, ws: ClientConnection, sub: _Subscription, why: str) -> None:
        delay = backoff_delay(
            sub.refusals,
            self.settings.reconnect_initial_s,
            self.settings.reconnect_max_s,
            self._rng,
        )
        sub.refusals += 1
        log.warning(
            "solana_ws: %s %s by %s; asking again in %.2f s (refusal %d)",
            sub.label,
            why,
            self.shown_url,
            delay,
            sub.refusals,
        )
        task = asyncio.get_running_loop().create_task(self._subscribe_later(ws, sub, delay))
        self._retries.add(task)
        task.add_done_callback(self._retries.discard)

    # -- connection-level failures ------------------------------------------------------------

    def _on_lost(self, exc: ConnectionClosed) -> None:
        sent = exc.sent
        if sent is not None and sent.code == 1009:
            self._count("frame_too_large")
            log.error(
                "solana_ws: a frame from %s was larger than max_frame_bytes=%d; the connection "
                "was closed (raise ws_max_frame_bytes)",
                self.shown_url,
                self.settings.max_frame_bytes,
            )
            return
        self._count("connection_lost")
        log.warning(
            "solana_ws: connection to %s lost: %s (highest slot seen %s)",
            self.shown_url,
            self._scrub(exc),
            self._highest_slot,
        )

    def _on_rejected(self, status: int) -> None:
        if status == 429:
            self._count("rate_limited")
            log.warning(
                "solana_ws: %s refused the connection: HTTP 429 (rate limited)", self.shown_url
            )
        elif status in (401, 403):
            self._count("unauthorized")
            log.error(
                "solana_ws: %s refused the connection: HTTP %d (is the API key right?)",
                self.shown_url,
                status,
            )
        else:
            self._count("connect_failed")
            log.warning("solana_ws: %s refused the connection: HTTP %d", self.shown_url, status)


# --- the Bytewax source ----------------------------------------------------------------------


class SolanaWsPartition(StatefulSourcePartition[RawFrame, None]):
    """The one partition: owns the client thread and the queue. Its snapshot is None (a
    websocket cannot replay what it missed, so there is no position to resume from)."""

    def __init__(
        self,
        settings: WsSettings,
        metrics: Metrics,
        clock: Callable[[], float] = time.time,
        idle_wait_s: float = DEFAULT_IDLE_WAIT_S,
        rng: random.Random | None = None,
    ) -> None:
        self._queue = _FrameQueue(settings.queue_capacity, metrics)
        self._client = _Client(settings, metrics, clock, self._queue, rng)
        self._idle_wait = timedelta(seconds=idle_wait_s)
        self._guard = threading.Lock()
        self._stopping = False
        self._closed = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._thread = threading.Thread(target=self._thread_main, name=PARTITION, daemon=True)
        self._thread.start()

    # -- what tests and operators may look at --------------------------------------------------

    @property
    def subscriptions(self) -> Mapping[int, tuple[str, ...]]:
        """Subscription id -> programs, as acknowledged on the current connection."""
        return dict(self._client.subscriptions)

    @property
    def connected(self) -> bool:
        return self._client.connected

    @property
    def connections(self) -> int:
        """Connections opened so far (the first one plus every reconnect)."""
        return self._client.connections

    @property
    def received(self) -> int:
        """Frames handed to the queue so far (replies to our requests excluded)."""
        return self._client.received

    @property
    def dropped(self) -> int:
        return self._queue.dropped

    @property
    def queue_depth(self) -> int:
        return len(self._queue)

    @property
    def fatal(self) -> str | None:
        return self._client.fatal

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    # -- Bytewax ------------------------------------------------------------------------------

    def next_batch(self) -> list[RawFrame]:
        batch = self._queue.take(MAX_BATCH)
        if not batch and self._client.fatal is not None:
            raise SolanaWsError(self._client.fatal)
        return batch

    def next_awake(self) -> datetime | None:
        if len(self._queue) or self._client.fatal is not None:
            return None
        return datetime.now(timezone.utc) + self._idle_wait

    def snapshot(self) -> None:
        return None

    def close(self, timeout_s: float = 5.0) -> None:
        """Stop the client and its connection (a close frame, at most ``close_timeout_s``),
        and wait for the thread."""
        with self._guard:
            self._stopping = True
            loop, task = self._loop, self._task
            if loop is not None and task is not None:
                with contextlib.suppress(RuntimeError):  # the loop has already finished
                    loop.call_soon_threadsafe(task.cancel)
        self._thread.join(timeout_s)
        if not self._closed:
            self._closed = True
            left = self._queue.discard()
            if left:
                log.info("solana_ws: closed with %d frames the dataflow did not take", left)

    def _thread_main(self) -> None:
        loop = asyncio.new_event_loop()
        try:
            with self._guard:
                if self._stopping:
                    return
                self._loop = loop
                self._task = loop.create_task(self._client.run())
            loop.run_until_complete(self._task)
        except asyncio.CancelledError:
            pass
        except BaseException as exc:  # pragma: no cover - run() catches everything it expects
            self._client.fatal = f"solana_ws: the client thread died: {type(exc).__name__}"
            log.error("solana_ws: the client thread died: %s", type(exc).__name__)
        finally:
            try:
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()


class SolanaWsSource(FixedPartitionedSource[RawFrame, None]):
    """Live frames from a Solana RPC websocket; one partition, ``solana_ws-0``.

    No resume state: a websocket cannot replay what it missed, so the snapshot is None and a
    resumed job simply subscribes again. Delivery is at most once across reconnects (a reconnect
    is a gap, measured in the ``source_gap_*`` metrics); duplicates of the reconnect overlap are
    removed downstream by dedup. See the module documentation for the whole behaviour.

    :arg url: the ``ws://`` / ``wss://`` endpoint (may carry an API key; never logged whole).
    :arg programs: program ids: one ``logsSubscribe`` each, or one ``transactionSubscribe``.
    :arg metrics: where ``source_*{source="solana_ws"}`` are counted.
    :arg clock: stamps `RawFrame.arrived_at`.
    :arg idle_wait_s: how long the worker sleeps before polling an empty queue again.
    """

    def __init__(
        self,
        url: str | SecretStr,
        programs: Sequence[str],
        metrics: Metrics,
        *,
        commitment: str = "processed",
        transaction_subscribe: bool = False,
        ping_interval_s: float = 30.0,
        max_frame_bytes: int = 64 * 1024 * 1024,
        reconnect_initial_s: float = 0.5,
        reconnect_max_s: float = 30.0,
        queue_capacity: int = 10_000,
        clock: Callable[[], float] = time.time,
        idle_wait_s: float = DEFAULT_IDLE_WAIT_S,
        open_timeout_s: float = 10.0,
        close_timeout_s: float = 1.0,
    ) -> None:
        if isinstance(url, SecretStr):
            url = url.get_secret_value()
        self.settings = WsSettings(
            url=url,
            programs=tuple(programs),
            commitment=commitment,
            transaction_subscribe=transaction_subscribe,
            ping_interval_s=ping_interval_s,
            max_frame_bytes=max_frame_bytes,
            reconnect_initial_s=reconnect_initial_s,
            reconnect_max_s=max(reconnect_max_s, reconnect_initial_s),
            queue_capacity=queue_capacity,
            open_timeout_s=open_timeout_s,
            close_timeout_s=close_timeout_s,
        )
        self.metrics = metrics
        self.clock = clock
        self.idle_wait_s = idle_wait_s
        #: Every partition this source built (one per run), for inspection.
        self.partitions: list[SolanaWsPartition] = []

    @classmethod
    def from_config(
        cls, config: SnifferConfig, metrics: Metrics, clock: Callable[[], float] = time.time
    ) -> SolanaWsSource:
        """The source the ``ws_*`` fields and ``source_queue_capacity`` describe."""
        if config.ws_url is None:
            raise ValueError("source=solana_ws needs ws_url")
        return cls(
            config.ws_url,
            config.ws_programs,
            metrics,
            commitment=config.ws_commitment,
            transaction_subscribe=config.ws_transaction_subscribe,
            ping_interval_s=config.ws_ping_interval_s,
            max_frame_bytes=config.ws_max_frame_bytes,
            reconnect_initial_s=config.ws_reconnect_initial_s,
            reconnect_max_s=config.ws_reconnect_max_s,
            queue_capacity=config.source_queue_capacity,
            clock=clock,
        )

    def __repr__(self) -> str:
        return f"SolanaWsSource({redact_url(self.settings.url)!r})"

    def list_parts(self) -> list[str]:
        return [PARTITION]

    def build_part(self, step_id: str, for_part: str, resume_state: None) -> SolanaWsPartition:
        if for_part != PARTITION:
            raise ValueError(f"{for_part!r} is not a partition of this source")
        part = SolanaWsPartition(self.settings, self.metrics, self.clock, self.idle_wait_s)
        self.partitions.append(part)
        return part
