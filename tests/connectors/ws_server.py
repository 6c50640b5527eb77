"""A small websocket server speaking the Solana RPC subscription protocol, for the solana_ws tests.

It runs `websockets.asyncio.server` on 127.0.0.1 (a free port) in its own thread and event loop.
What happens on each connection is a *scenario*: a coroutine that receives a `Session` and uses
its helpers to read subscribe requests, acknowledge or refuse them the way a real node does, and
stream frames (real fixtures with the subscription id filled in). Every request the server
received and every frame it sent is recorded per connection, so a test can compare what the
source handed to the dataflow with what went over the wire.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

import orjson
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.frames import Frame, Opcode
from websockets.http11 import Request, Response

Scenario = Callable[["Session"], Awaitable[None]]

#: The server's own logger: silent, so a test that inspects every log line (the API key test)
#: only sees the source's side. The server's DEBUG lines print the request path, key included.
#: (pytest's log capture attaches to non-propagating loggers too, so it is disabled outright;
#: what goes wrong in a scenario is kept in `SolanaWsServer.errors` instead.)
SERVER_LOG = logging.getLogger("tests.connectors.ws_server")
SERVER_LOG.disabled = True

_SUBSCRIPTION = re.compile(rb'"subscription"\s*:\s*\d+')
_ID = re.compile(rb'"id"\s*:\s*(?:\d+|null)')
_FIRST_SLOT = re.compile(rb'"slot"\s*:\s*\d+')

#: First subscription id the server hands out (a real Agave id, from the fixture capture).
FIRST_SUBSCRIPTION_ID = 8092911


def with_subscription(frame: bytes, subscription: int) -> bytes:
    """`frame` with its (first) ``"subscription":N`` replaced."""
    out, n = _SUBSCRIPTION.subn(b'"subscription":%d' % subscription, frame, count=1)
    assert n == 1, "frame has no subscription id"
    return out


def with_id(frame: bytes, request_id: Any) -> bytes:
    """A reply frame with its ``"id"`` replaced by the id of the request it answers."""
    out, n = _ID.subn(b'"id":' + orjson.dumps(request_id), frame, count=1)
    assert n == 1, "frame has no id"
    return out


def with_slot(frame: bytes, slot: int) -> bytes:
    """A notification with its (first) ``"slot":N`` replaced."""
    out, n = _FIRST_SLOT.subn(b'"slot":%d' % slot, frame, count=1)
    assert n == 1, "frame has no slot"
    return out


class Session:
    """One client connection, seen from the server."""

    def __init__(self, server: SolanaWsServer, index: int, ws: ServerConnection) -> None:
        self.server = server
        self.index = index
        self.ws = ws
        #: Every request received, parsed, in order.
        self.requests: list[dict[str, Any]] = []
        #: Every frame sent by `send` / `notify`, exactly as sent.
        self.sent: list[bytes] = []
        #: Subscription ids acknowledged on this connection, in order.
        self.subscription_ids: list[int] = []
        #: Keepalive pings received from the client.
        self.pings = 0
        #: When set, pings are swallowed unanswered: a node that hangs with the socket open.
        self.muted = False
        receive_frame = ws.protocol.recv_frame

        def count_pings(frame: Frame) -> None:
            if frame.opcode is Opcode.PING:
                self.pings += 1
                if self.muted:
                    return
            receive_frame(frame)

        ws.protocol.recv_frame = count_pings  # type: ignore[method-assign]

    async def receive_request(self) -> dict[str, Any]:
        raw = await self.ws.recv()
        request: dict[str, Any] = orjson.loads(raw)
        self.requests.append(request)
        return request

    async def ack(self, request: dict[str, Any]) -> int:
        """Acknowledge a subscribe request the way Agave does (``result`` before ``id``)."""
        sub = self.server.next_subscription_id()
        self.subscription_ids.append(sub)
        await self.ws.send(
            b'{"jsonrpc":"2.0","result":%d,"id":%d}' % (sub, request["id"]), text=True
        )
        return sub

    async def refuse(self, request: dict[str, Any], error_frame: bytes) -> None:
        """Answer a request with an error frame (its id replaced by the request's)."""
        await self.ws.send(with_id(error_frame, request["id"]), text=True)

    async def subscribe(self, count: int) -> list[int]:
        """Read `count` subscribe requests and acknowledge each; their subscription ids."""
        return [await self.ack(await self.receive_request()) for _ in range(count)]

    async def send(self, frame: bytes, *, binary: bool = False) -> None:
        # Recorded before it goes out: the client may read it (and the test compare) before
        # this coroutine runs again.
        self.sent.append(frame)
        try:
            await self.ws.send(frame, text=not binary)
        except BaseException:
            self.sent.pop()
            raise

    async def notify(self, template: bytes, subscription: int) -> bytes:
        """Send a notification with `subscription` filled in; the exact bytes sent."""
        frame = with_subscription(template, subscription)
        await self.send(frame)
        return frame

    def abort(self) -> None:
        """Drop the TCP connection without a close handshake (a crashed node, a cut line)."""
        transport = self.ws.transport
        assert transport is not None
        transport.abort()

    async def hold(self) -> None:
        """Keep the connection open until the client closes it (or the server stops)."""
        await self.ws.wait_closed()


class SolanaWsServer:
    """The server; use as a context manager. `url` is ``ws://127.0.0.1:<port><path>``.

    :arg scenario: what to do on each connection.
    :arg path: the path (and query) the URL shows; the server accepts any.
    :arg reject_first: answer the first N handshakes with HTTP 429 (a rate-limiting provider).
    :arg compression: ``"deflate"`` (what real nodes offer) or None.
    """

    def __init__(
        self,
        scenario: Scenario,
        *,
        path: str = "/",
        reject_first: int = 0,
        compression: str | None = "deflate",
    ) -> None:
        self._scenario = scenario
        self._path = path
        self._reject_first = reject_first
        self._compression = compression
        self.sessions: list[Session] = []
        self.handshakes = 0
        #: Exceptions a scenario raised (other than the client going away).
        self.errors: list[BaseException] = []
        self._next_sub = FIRST_SUBSCRIPTION_ID
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: Server | None = None
        self._stopped: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name="ws-test-server", daemon=True)
        self.port = 0

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}{self._path}"

    def next_subscription_id(self) -> int:
        sub = self._next_sub
        self._next_sub += 1
        return sub

    def __enter__(self) -> SolanaWsServer:
        self._thread.start()
        assert self._ready.wait(10), "the test server did not start"
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self.stop()
        if exc_type is None and self.errors:
            raise AssertionError(f"the test server's scenario failed: {self.errors!r}")

    def stop(self) -> None:
        loop, stopped = self._loop, self._stopped
        if loop is not None and stopped is not None and not loop.is_closed():
            loop.call_soon_threadsafe(stopped.set)
        self._thread.join(10)

    def _main(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopped = asyncio.Event()
        async with serve(
            self._handler,
            "127.0.0.1",
            0,
            process_request=self._process_request,
            compression=self._compression,
            logger=SERVER_LOG,
            ping_interval=None,
        ) as server:
            self._server = server
            self.port = server.sockets[0].getsockname()[1]
            self._ready.set()
            await self._stopped.wait()
            server.close(close_connections=True)

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        self.handshakes += 1
        if self.handshakes <= self._reject_first:
            return connection.respond(HTTPStatus.TOO_MANY_REQUESTS, "Too many requests\n")
        return None

    async def _handler(self, ws: ServerConnection) -> None:
        session = Session(self, len(self.sessions), ws)
        self.sessions.append(session)
        try:
            await self._scenario(session)
        except ConnectionClosed:
            pass
        except Exception as exc:
            self.errors.append(exc)


def wait_for(predicate: Callable[[], bool], what: str, timeout_s: float = 30.0) -> None:
    """Poll until `predicate()` holds. The limit only guards against a hang; no test relies on
    how long anything takes."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)
