"""The asyncio client of the ``solana_ws`` source: connects, subscribes, receives, reconnects,
and hands frames to the worker through a bounded queue that drops the oldest frame when full.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import (
    ConnectionClosed,
    InvalidHandshake,
    InvalidStatus,
    InvalidURI,
)

from connectors._support.backoff import backoff_delay
from connectors._support.url_secrets import Redactor
from connectors.solana_ws.protocol import (
    SOURCE,
    SolanaWsSettings,
    _reply_of,
    _show,
    _Subscription,
    _subscriptions,
    classify_error,
    log,
    slot_of,
)
from domain.metrics import Metrics
from domain.models import RawFrame


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
        settings: SolanaWsSettings,
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
        self._wire_logger = _ScrubbingLogger(
            logging.getLogger("connectors.solana_ws.wire"), self._redactor
        )
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
        silence = self.settings.silence_timeout_s
        while self.fatal is None:
            try:
                # recv() may be cancelled without losing data (websockets' asyncio API).
                data = await asyncio.wait_for(ws.recv(decode=False), timeout=silence)
            except asyncio.TimeoutError:
                if await self._answers_ping(ws, silence):
                    continue  # alive, only quiet: a program with nothing to report
                self._count("silent")
                log.warning(
                    "solana_ws: nothing from %s for %.0f s, not even a pong: reconnecting",
                    self.shown_url,
                    silence,
                )
                ws.transport.abort()  # a close handshake would wait on a peer that is gone
                return
            self._on_frame(ws, data, self._clock())

    async def _answers_ping(self, ws: ClientConnection, within_s: float) -> bool:
        """Whether the peer still answers a ping (the websocket's own keepalive pings only
        close the socket after ping_interval + ping_timeout, which may be far longer)."""
        try:
            pong = await ws.ping()
            await asyncio.wait_for(pong, timeout=min(within_s, 10.0))
        except (asyncio.TimeoutError, ConnectionClosed):
            return False
        return True

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
        self._queue.put(RawFrame(data, arrived_at, SOURCE))

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
