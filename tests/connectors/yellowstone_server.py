"""A real gRPC server implementing geyser.Geyser/Subscribe (the project's proto subset), on a
free loopback port, for the yellowstone source's tests; and the shared fixtures' real mainnet
transactions as the SubscribeUpdate messages a Yellowstone server streams.

Each subscription runs the test's scenario in its own thread with a `Session`: what the client
asked (`request`, and every later request such as ping replies), and what to stream (`send`,
`ping`), how to end (`end`, `abort` with a status code) or to hold the stream open and silent.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from concurrent import futures
from typing import Any

import base58
import grpc
import orjson

from connectors.yellowstone import geyser_pb2 as pb
from connectors.yellowstone.geyser_pb2_grpc import GeyserServicer, add_GeyserServicer_to_server
from tests.waiting import wait_for

Scenario = Callable[["Session"], None]


def update_of(
    result: dict[str, Any], filters: tuple[str, ...] = ("launchpads",)
) -> pb.SubscribeUpdate:
    """A getTransaction ``json`` result as the SubscribeUpdate a Yellowstone server sends."""
    tx, meta = result["transaction"], result["meta"]
    message = tx["message"]
    update = pb.SubscribeUpdate(filters=list(filters))
    carried = update.transaction
    carried.slot = result["slot"]
    info = carried.transaction
    info.signature = base58.b58decode(tx["signatures"][0])
    info.index = result.get("transactionIndex", 0)
    info.transaction.signatures.extend(base58.b58decode(s) for s in tx["signatures"])
    m = info.transaction.message
    header = message["header"]
    m.header.num_required_signatures = header["numRequiredSignatures"]
    m.header.num_readonly_signed_accounts = header["numReadonlySignedAccounts"]
    m.header.num_readonly_unsigned_accounts = header["numReadonlyUnsignedAccounts"]
    m.account_keys.extend(base58.b58decode(key) for key in message["accountKeys"])
    m.recent_blockhash = base58.b58decode(message["recentBlockhash"])
    m.versioned = result.get("version", "legacy") != "legacy"
    for raw in message["instructions"]:
        m.instructions.add(
            program_id_index=raw["programIdIndex"],
            accounts=bytes(raw["accounts"]),
            data=base58.b58decode(raw["data"]),
        )
    for lookup in message.get("addressTableLookups") or ():
        m.address_table_lookups.add(
            account_key=base58.b58decode(lookup["accountKey"]),
            writable_indexes=bytes(lookup["writableIndexes"]),
            readonly_indexes=bytes(lookup["readonlyIndexes"]),
        )
    status = info.meta
    if meta["err"] is not None:
        status.err.err = orjson.dumps(meta["err"])  # upstream: bincode; only presence matters
    status.fee = meta["fee"]
    status.pre_balances.extend(meta["preBalances"])
    status.post_balances.extend(meta["postBalances"])
    for group in meta.get("innerInstructions") or ():
        inner = status.inner_instructions.add(index=group["index"])
        for raw in group["instructions"]:
            one = inner.instructions.add(
                program_id_index=raw["programIdIndex"],
                accounts=bytes(raw["accounts"]),
                data=base58.b58decode(raw["data"]),
            )
            if raw.get("stackHeight") is not None:
                one.stack_height = raw["stackHeight"]
    if meta.get("logMessages") is None:
        status.log_messages_none = True
    else:
        status.log_messages.extend(meta["logMessages"])
    loaded = meta.get("loadedAddresses") or {}
    status.loaded_writable_addresses.extend(base58.b58decode(k) for k in loaded.get("writable", ()))
    status.loaded_readonly_addresses.extend(base58.b58decode(k) for k in loaded.get("readonly", ()))
    if meta.get("computeUnitsConsumed") is not None:
        status.compute_units_consumed = meta["computeUnitsConsumed"]
    return update


_END = object()


class Session:
    """One Subscribe call, seen from the server."""

    def __init__(self, context: grpc.ServicerContext, requests: Iterator[pb.SubscribeRequest]):
        self.context = context
        self.metadata = dict(context.invocation_metadata())
        self._out: queue.Queue[Any] = queue.Queue()
        self.requests: list[pb.SubscribeRequest] = []
        #: Messages streamed to the client so far.
        self.sent = 0
        self._reader = threading.Thread(target=self._read, args=(requests,), daemon=True)
        self._reader.start()

    def _read(self, requests: Iterator[pb.SubscribeRequest]) -> None:
        try:
            for request in requests:
                self.requests.append(request)
        except Exception:  # the call ended
            pass

    @property
    def request(self) -> pb.SubscribeRequest:
        """The first request (the subscription)."""
        return wait_for(lambda: self.requests[:1], "the subscription request")[0]

    @property
    def from_slot(self) -> int | None:
        request = self.request
        return request.from_slot if request.HasField("from_slot") else None

    def send(self, update: pb.SubscribeUpdate) -> None:
        self._out.put(update)

    def ping(self) -> None:
        self._out.put(pb.SubscribeUpdate(filters=["launchpads"], ping=pb.SubscribeUpdatePing()))

    def ping_replies(self) -> list[int]:
        return [r.ping.id for r in self.requests if r.HasField("ping")]

    def abort(self, code: grpc.StatusCode, details: str) -> None:
        self._out.put((code, details))

    def end(self) -> None:
        self._out.put(_END)

    def hold(self) -> None:
        """Stream nothing more until the client goes away."""
        wait_for(lambda: not self.context.is_active(), "the client to leave the stream")

    def stream(self) -> Iterator[pb.SubscribeUpdate]:
        while self.context.is_active():
            try:
                item = self._out.get(timeout=0.05)
            except queue.Empty:
                continue
            if item is _END:
                return
            if isinstance(item, tuple):
                self.context.abort(*item)
            yield item
            self.sent += 1


class _Geyser(GeyserServicer):
    def __init__(self, server: YellowstoneServer) -> None:
        self._server = server

    def Subscribe(
        self, request_iterator: Iterator[pb.SubscribeRequest], context: grpc.ServicerContext
    ) -> Iterator[pb.SubscribeUpdate]:
        session = Session(context, request_iterator)
        self._server.sessions.append(session)
        scenario = self._server.scenarios[
            min(len(self._server.sessions) - 1, len(self._server.scenarios) - 1)
        ]
        runner = threading.Thread(target=self._run, args=(scenario, session), daemon=True)
        runner.start()
        yield from session.stream()

    def _run(self, scenario: Scenario, session: Session) -> None:
        try:
            scenario(session)
        except Exception as exc:  # a failed scenario ends the call and is reported by the test
            self._server.errors.append(exc)
            session.abort(grpc.StatusCode.INTERNAL, f"scenario failed: {exc!r}")


class YellowstoneServer:
    """``with YellowstoneServer(first, second, ...) as server:`` — subscription n runs scenario n
    (the last one for every later subscription). `url` is ``http://127.0.0.1:<port>``, or
    ``https://`` with `tls` = (PEM key, PEM certificate)."""

    def __init__(self, *scenarios: Scenario, tls: tuple[bytes, bytes] | None = None) -> None:
        self.scenarios = scenarios
        self.sessions: list[Session] = []
        self.errors: list[Exception] = []
        self._server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=8),
            options=[("grpc.http2.min_ping_interval_without_data_ms", 1000)],
        )
        add_GeyserServicer_to_server(_Geyser(self), self._server)
        if tls is None:
            self.port = self._server.add_insecure_port("127.0.0.1:0")
            self.url = f"http://127.0.0.1:{self.port}"
        else:
            key, certificate = tls
            credentials = grpc.ssl_server_credentials([(key, certificate)])
            self.port = self._server.add_secure_port("127.0.0.1:0", credentials)
            self.url = f"https://127.0.0.1:{self.port}"

    def __enter__(self) -> YellowstoneServer:
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop(grace=None).wait(5)
        assert not self.errors, self.errors
