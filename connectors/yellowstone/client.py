"""The gRPC side of the ``yellowstone`` source: subscribe, receive, answer pings, watch for
silence, resubscribe from the last slot seen. Runs in the partition's thread (grpcio's blocking
API); a second thread is the silence watchdog.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator

import grpc

from connectors._support.backoff import Backoff
from connectors._support.throttled_log import ThrottledLog
from connectors._support.url_secrets import redact_url
from connectors.yellowstone import geyser_pb2 as pb
from connectors.yellowstone.convert import transaction_of
from connectors.yellowstone.geyser_pb2_grpc import GeyserStub
from connectors.yellowstone.hand_over import HandOver
from connectors.yellowstone.settings import (
    FILTER_NAME,
    SOURCE,
    YellowstoneSettings,
    log,
    mask_token,
    target_of,
)
from domain.metrics import Metrics
from domain.models import RawFrame

#: Status codes after which asking again cannot help: the job stops.
_FATAL = {
    grpc.StatusCode.UNAUTHENTICATED: (
        "unauthenticated",
        "refused the token (is grpc_token right?)",
    ),
    grpc.StatusCode.PERMISSION_DENIED: (
        "permission_denied",
        "refused the subscription: permission denied (does the plan include gRPC?)",
    ),
    grpc.StatusCode.UNIMPLEMENTED: (
        "unimplemented",
        "does not implement geyser.Geyser/Subscribe (is grpc_url a Yellowstone gRPC endpoint?)",
    ),
}
#: Codes a server answers a ``from_slot`` it no longer holds with. OUT_OF_RANGE is the documented
#: one; some answer INTERNAL or INVALID_ARGUMENT with the slot in the message (launchpads.md §4).
_REPLAY_REFUSALS = (
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.INTERNAL,
    grpc.StatusCode.FAILED_PRECONDITION,
)
#: The id of the ping replies (the server answers with a pong of the same id, unused here).
_PING_ID = 1


class Client:
    """One endpoint's subscription, kept alive until `stop`.

    `from_slot` is where the first subscription starts (the partition's resume state); every
    resubscription after that starts at the highest slot seen, so a short outage loses nothing
    (the overlap is dropped by signature).
    """

    def __init__(
        self,
        settings: YellowstoneSettings,
        metrics: Metrics,
        clock: Callable[[], float],
        hand_over: HandOver,
        from_slot: int | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.shown_url = redact_url(settings.url)
        self._target, self._tls = target_of(settings.url)
        self._metrics = metrics
        self._clock = clock
        self._hand_over = hand_over
        self._backoff = Backoff(settings.reconnect_initial_s, settings.reconnect_max_s, rng)
        self._metadata = (("x-token", settings.token),) if settings.token else ()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._call: grpc.Future | None = None
        self._last_message = time.monotonic()
        self._silent = False
        self._reconnects = metrics.source_reconnects.labels(SOURCE)
        self._reconnects.inc(0)
        self._no_meta_log = ThrottledLog(log)
        # Signatures handed on lately: a resubscription replays the last slot, and what it
        # replays that was already delivered is dropped here.
        self._seen: set[str] = set()
        self._seen_order: deque[str] = deque()
        #: The slot the next subscription asks to start from (None: the live head).
        self.next_from_slot = from_slot
        #: The highest slot of a transaction received.
        self.highest_slot: int | None = from_slot
        self._gap_before: int | None = None
        self._gap_asked: int | None = None
        self._gap_pending = False
        self._fell_back = False
        self._refused_slot: int | None = None
        #: Why the source cannot go on; set once, read by the worker.
        self.fatal: str | None = None
        self.connections = 0
        self.received = 0
        self.duplicates = 0
        self.pings_answered = 0
        #: The ``from_slot`` of every subscription sent, in order (None = live head).
        self.requested_from: list[int | None] = []

    # -- lifecycle ------------------------------------------------------------------------------

    def run(self) -> None:
        """The thread's body: sessions until `stop` or a fatal error."""
        watchdog = threading.Thread(target=self._watch, name=f"{SOURCE}-watchdog", daemon=True)
        watchdog.start()
        try:
            while not self._stopping.is_set() and self.fatal is None:
                delivered = self._session()
                if self._stopping.is_set() or self.fatal is not None:
                    return
                if delivered:
                    self._backoff.reset()
                delay = self._backoff.next_delay()
                log.info(
                    "yellowstone: resubscribing to %s in %.2f s (from slot %s)",
                    self.shown_url,
                    delay,
                    self.next_from_slot if self.next_from_slot is not None else "live head",
                )
                self._stopping.wait(delay)
        finally:
            self._stopping.set()
            watchdog.join()

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            call = self._call
        if call is not None:
            call.cancel()

    # -- one subscription -------------------------------------------------------------------

    def _channel(self) -> grpc.Channel:
        s = self.settings
        options = [
            ("grpc.max_receive_message_length", s.max_message_bytes),
            ("grpc.keepalive_time_ms", s.keepalive_time_ms),
            ("grpc.keepalive_timeout_ms", s.keepalive_timeout_ms),
            ("grpc.keepalive_permit_without_calls", 1),
            ("grpc.http2.max_pings_without_data", 0),
        ]
        if self._tls:
            credentials = grpc.ssl_channel_credentials(s.tls_root_certificates)
            return grpc.secure_channel(self._target, credentials, options)
        return grpc.insecure_channel(self._target, options)

    def _request(self) -> pb.SubscribeRequest:
        s = self.settings
        request = pb.SubscribeRequest(commitment=s.commitment.upper())
        wanted = request.transactions[FILTER_NAME]
        wanted.vote = False
        wanted.failed = False
        wanted.account_include.extend(s.programs)
        if self.next_from_slot is not None:
            request.from_slot = self.next_from_slot
        return request

    def _session(self) -> bool:
        """One subscription until it ends; True when it delivered a transaction."""
        requests: queue.Queue[pb.SubscribeRequest | None] = queue.Queue()
        request = self._request()
        asked = request.from_slot if request.HasField("from_slot") else None
        self.requested_from.append(asked)
        requests.put(request)
        delivered = False
        received_any = False
        channel = self._channel()
        try:
            call = GeyserStub(channel).Subscribe(_drain(requests), metadata=self._metadata)
            with self._lock:
                self._call = call
                self._silent = False
                self._last_message = time.monotonic()
            if self._stopping.is_set():
                call.cancel()
            self.connections += 1
            if self.connections > 1:
                self._reconnects.inc()
            self._gap_before, self._gap_asked = self.highest_slot, asked
            self._gap_pending = self.connections > 1 or asked is not None
            log.info(
                "yellowstone: subscribed to %s (%d programs, %s, from slot %s)",
                self.shown_url,
                len(self.settings.programs),
                self.settings.commitment,
                asked if asked is not None else "live head",
            )
            for update in call:
                self._last_message = time.monotonic()
                received_any = True
                if self._on_update(update, requests):
                    delivered = True
            self._count("stream_ended")
            log.warning("yellowstone: %s ended the stream", self.shown_url)
        except grpc.RpcError as exc:
            self._on_rpc_error(exc, asked, received_any)
        except Exception as exc:  # a bug here must not kill the thread silently
            self._count("internal")
            log.error(
                "yellowstone: unexpected error on %s: %s: %s",
                self.shown_url,
                type(exc).__name__,
                mask_token(str(exc), self.settings.token),
            )
        finally:
            requests.put(None)
            with self._lock:
                self._call = None
            channel.close()
        if (
            self.fatal is None
            and not self._fell_back
            and self.highest_slot is not None
            and self.highest_slot != self._refused_slot
        ):
            # Resume where the stream broke; but not at a slot the server already refused to
            # replay (no transaction arrived since the fall-back to the live head).
            self.next_from_slot = self.highest_slot
        self._fell_back = False
        return delivered

    # -- updates --------------------------------------------------------------------------------

    def _on_update(
        self, update: pb.SubscribeUpdate, requests: queue.Queue[pb.SubscribeRequest | None]
    ) -> bool:
        kind = update.WhichOneof("update_oneof")
        if kind == "transaction":
            return self._on_transaction(update)
        if kind == "ping":
            # Load balancers cut a stream the client never writes to: every server ping gets a
            # ping back on the same stream (the server answers it with a pong).
            requests.put(pb.SubscribeRequest(ping=pb.SubscribeRequestPing(id=_PING_ID)))
            self.pings_answered += 1
        return False

    def _on_transaction(self, update: pb.SubscribeUpdate) -> bool:
        arrived_at = self._clock()
        tx = transaction_of(update)
        if tx is None:
            self._count("no_meta")
            self._no_meta_log.log(
                "no_meta",
                logging.WARNING,
                "yellowstone: a transaction without meta (slot %d) was skipped: whether it "
                "failed is unknown",
                update.transaction.slot,
            )
            return False
        slot = update.transaction.slot
        if self._gap_pending:
            self._note_gap(slot)
        if self.highest_slot is None or slot > self.highest_slot:
            self.highest_slot = slot
        signature = tx.signature
        if signature in self._seen:
            self.duplicates += 1
            return False
        self._remember(signature)
        self.received += 1
        self._hand_over.put(RawFrame(tx, arrived_at, SOURCE))
        return True

    def _remember(self, signature: str) -> None:
        self._seen.add(signature)
        self._seen_order.append(signature)
        if len(self._seen_order) > self.settings.dedup_capacity:
            self._seen.discard(self._seen_order.popleft())

    def _note_gap(self, first: int) -> None:
        """The first slot after a (re)subscription: was the replay whole?"""
        self._gap_pending = False
        before, asked = self._gap_before, self._gap_asked
        m = self._metrics
        m.source_gap_first_slot_after.labels(SOURCE).set(first)
        if before is None:
            return
        m.source_gap_last_slot_before.labels(SOURCE).set(before)
        if asked is not None and first <= asked:
            m.source_gap_slots.labels(SOURCE).set(0)
            return
        gap = max(first - before, 0)
        m.source_gap_slots.labels(SOURCE).set(gap)
        if asked is not None:
            why = f"the replay asked from slot {asked} started at {first}"
        else:
            why = "resubscribed at the live head"
        log.warning(
            "yellowstone: gap on %s: %s; last slot before %d, first after %d (%d slots lost)",
            self.shown_url,
            why,
            before,
            first,
            gap,
        )

    # -- failures -------------------------------------------------------------------------------

    def _give_up(self, why: str) -> None:
        # Logged BEFORE `fatal` is set: the worker exits the process as soon as it sees `fatal`,
        # and the one error line must be out by then.
        log.error("%s; the source stops", why)
        for handler in logging.getLogger().handlers:
            handler.flush()
        self.fatal = why

    def _count(self, kind: str) -> None:
        self._metrics.source_errors.labels(SOURCE, kind).inc()

    def _on_rpc_error(self, exc: grpc.RpcError, asked: int | None, received_any: bool) -> None:
        code = exc.code() if isinstance(exc, grpc.Call) else grpc.StatusCode.UNKNOWN
        details = exc.details() if isinstance(exc, grpc.Call) else str(exc)
        details = mask_token(details or "", self.settings.token)
        if code == grpc.StatusCode.CANCELLED:
            if self._stopping.is_set():
                return
            if self._silent:
                self._count("silent")
                log.warning(
                    "yellowstone: nothing from %s for %.0f s (not even a ping); resubscribing",
                    self.shown_url,
                    self.settings.silence_timeout_s,
                )
                return
        if code in _FATAL:
            kind, why = _FATAL[code]
            self._count(kind)
            self._give_up(f"yellowstone ({self.shown_url}) {why}: {code.name}: {details}")
            return
        if asked is not None and (
            code == grpc.StatusCode.OUT_OF_RANGE
            or (code in _REPLAY_REFUSALS and "slot" in details.lower())
        ):
            self._count("replay_unavailable")
            log.warning(
                "yellowstone: %s cannot replay from slot %d (%s: %s); resubscribing at the live "
                "head, the gap is measured",
                self.shown_url,
                asked,
                code.name,
                details,
            )
            self.next_from_slot = None
            self._fell_back = True
            self._refused_slot = asked
            return
        if code == grpc.StatusCode.INVALID_ARGUMENT:
            self._count("invalid_argument")
            self._give_up(
                f"yellowstone ({self.shown_url}) refused the subscription: {code.name}: {details}"
            )
            return
        if code == grpc.StatusCode.RESOURCE_EXHAUSTED:
            self._count("message_too_large")
            log.error(
                "yellowstone: %s: %s (grpc_max_message_bytes=%d; an absurd size means a wrong "
                "endpoint or TLS setting); resubscribing",
                self.shown_url,
                details,
                self.settings.max_message_bytes,
            )
            return
        kind = "connection_lost" if received_any else "connect_failed"
        self._count(kind)
        log.warning(
            "yellowstone: %s: %s: %s (highest slot seen %s)",
            self.shown_url,
            code.name,
            details,
            self.highest_slot,
        )

    def _watch(self) -> None:
        """Cancel a call that received nothing for ``silence_timeout_s`` (HTTP/2 keepalive
        catches a dead path; this catches a live server that stopped streaming)."""
        timeout = self.settings.silence_timeout_s
        tick = min(1.0, timeout / 4)
        while not self._stopping.wait(tick):
            with self._lock:
                call = self._call
                if call is None or time.monotonic() - self._last_message < timeout:
                    continue
                self._silent = True
            call.cancel()


def _drain(requests: queue.Queue[pb.SubscribeRequest | None]) -> Iterator[pb.SubscribeRequest]:
    """The request stream: what the client queues, until None."""
    while True:
        request = requests.get()
        if request is None:
            return
        yield request


logging.getLogger("grpc").setLevel(logging.WARNING)
