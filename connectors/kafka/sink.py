"""The ``kafka`` sink. `KafkaTransport` is a `domain.transport.Transport`: the send path calls
``send(batch)`` synchronously and does retries and accounting itself (a Bytewax `KafkaSink` at
the end of the dataflow would bypass the stream buffers). One message per candidate, key = the
mint (UTF-8; the signature when the mint is null, e.g. a logs-only Raydium launch), value = the
contract's JSON line (`Candidate.json_line`). ``send`` returns once the broker acknowledged every
message of the batch (``acks=all``) and raises `SendError` otherwise, within ``timeout_s``:
``retryable=False`` for errors that repeating cannot fix (a message over ``max_message_bytes``,
an invalid or unknown topic, an authorization failure), ``retryable=True`` for the rest (broker
down, timeouts). Order within a partition is kept (one request in flight per broker); keys go to
partitions with the Java client's murmur2 hash. A batch that failed may have been partly
delivered: retried, those candidates arrive twice (at least once). It is safe to share between
threads: each batch waits only for its own delivery reports.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Producer

from connectors.kafka._client import (
    DEFAULT_MAX_MESSAGE_BYTES,
    RECORD_OVERHEAD_BYTES,
    client_log,
    error_kind,
    is_retryable,
    log,
    parse_brokers,
)
from connectors.kafka.settings import KafkaSinkSettings
from domain.models import Batch, Candidate
from domain.transport import SendError


class _Deliveries:
    """The delivery reports of one batch. The callbacks may run in another sender's thread
    (whichever thread polls the producer serves them), hence the lock."""

    def __init__(self, expected: int) -> None:
        self._lock = threading.Lock()
        self._pending = expected
        self._done = threading.Event()
        self.first_error: KafkaError | None = None
        self.failed = 0
        if expected == 0:
            self._done.set()

    def expect_fewer(self, count: int) -> None:
        """`count` messages were never produced: do not wait for them."""
        self._settle(count)

    def on_delivery(self, error: KafkaError | None, _message: Any) -> None:
        with self._lock:
            if error is not None:
                self.failed += 1
                if self.first_error is None:
                    self.first_error = error
        self._settle(1)

    def _settle(self, count: int) -> None:
        with self._lock:
            self._pending -= count
            if self._pending <= 0:
                self._done.set()

    @property
    def pending(self) -> int:
        with self._lock:
            return max(0, self._pending)

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float) -> bool:
        return self._done.wait(timeout)


def candidate_key(candidate: Candidate) -> bytes:
    """The message key: the mint, or the signature when the launch carries no mint."""
    launch = candidate.launch
    return (launch.mint if launch.mint is not None else launch.signature).encode()


class KafkaTransport:
    """Delivers each batch to `topic`, one message per candidate; see the module docstring."""

    #: How long one wait of the delivery loop lasts before it looks at its own batch again.
    _POLL_SLICE_S = 0.05

    def __init__(
        self,
        brokers: str | Sequence[str],
        topic: str,
        timeout_s: float = 5.0,
        *,
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
        add_config: Mapping[str, Any] | None = None,
    ) -> None:
        self._topic = topic
        self._timeout_s = timeout_s
        self._max_message_bytes = max_message_bytes
        timeout_ms = max(10, int(timeout_s * 1000))
        config: dict[str, Any] = {
            "bootstrap.servers": ",".join(parse_brokers(brokers)),
            "client.id": "sniffer-sink",
            "acks": "all",
            # At least once is what the send path promises (it retries whole batches); one
            # request in flight per broker keeps the order within a partition across the
            # client's own retries, without the idempotent producer's fatal states.
            "enable.idempotence": False,
            "max.in.flight.requests.per.connection": 1,
            # The same key -> partition mapping as the Java client's default partitioner.
            "partitioner": "murmur2_random",
            "linger.ms": 5,  # send() flushes at once; this only gathers a batch's messages
            # The client gives up on a message when the send would: nothing lingers to be
            # delivered long after the send path counted its batch as failed.
            "message.timeout.ms": timeout_ms,
            "message.max.bytes": max_message_bytes,
            "reconnect.backoff.max.ms": 1000,
            "logger": client_log,
            "error_cb": _log_client_error,
        }
        config.update(add_config or {})
        self._config = config
        self._producer: Producer | None = None
        self._lock = threading.Lock()
        self._closed = False

    @classmethod
    def from_settings(cls, settings: KafkaSinkSettings, **options: Any) -> KafkaTransport:
        """The sink `settings` describe; `options` go to the constructor."""
        return cls(settings.brokers, settings.topic, settings.timeout_s, **options)

    def open(self) -> None:
        """Start the producer (librdkafka's threads and sockets). `send` opens it if need be;
        after `close` it stays closed."""
        with self._lock:
            if self._producer is None and not self._closed:
                self._producer = Producer(self._config)

    def _client(self) -> Producer:
        self.open()
        with self._lock:
            if self._closed or self._producer is None:
                raise SendError("the kafka sink is closed", retryable=False)
            return self._producer

    def send(self, batch: Batch) -> None:
        producer = self._client()
        deadline = time.monotonic() + self._timeout_s
        messages = [(candidate_key(c), c.json_line()) for c in batch.candidates]
        limit = self._max_message_bytes - RECORD_OVERHEAD_BYTES
        for key, value in messages:
            if len(key) + len(value) > limit:
                # Refuse the whole batch before any of it goes out: no partial delivery.
                raise SendError(
                    f"kafka: a candidate of {len(value)} bytes (key {key.decode()!r}) is over "
                    f"the {self._max_message_bytes}-byte message limit",
                    retryable=False,
                )
        deliveries = _Deliveries(len(messages))
        for index, (key, value) in enumerate(messages):
            refused = self._produce(producer, key, value, deliveries, deadline)
            if refused is not None:
                deliveries.expect_fewer(len(messages) - index)
                self._wait(producer, deliveries, deadline)  # what went out still reports; serve it
                raise refused
        self._wait(producer, deliveries, deadline)
        if not deliveries.done:
            raise SendError(
                f"kafka: {deliveries.pending} of {len(messages)} messages to {self._topic!r} "
                f"not acknowledged within {self._timeout_s:g}s",
                retryable=True,
            )
        if deliveries.first_error is not None:
            error = deliveries.first_error
            raise SendError(
                f"kafka: {deliveries.failed} of {len(messages)} messages to {self._topic!r} "
                f"failed: {error_kind(error)}: {error.str()}",
                retryable=is_retryable(error),
            )

    def close(self) -> None:
        """Flush what the producer still holds (within ``timeout_s``) and stop it. Idempotent:
        the send step and the process's exit both call it."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            producer, self._producer = self._producer, None
        if producer is None:
            return
        left = producer.flush(self._timeout_s)
        if left:
            log.warning("kafka sink: %d messages not delivered at close", left)
            producer.purge()
            producer.poll(0)

    def _produce(
        self, producer: Producer, key: bytes, value: bytes, deliveries: _Deliveries, deadline: float
    ) -> SendError | None:
        """Hand one message to the client; the error to raise when it refuses it."""
        while True:
            try:
                producer.produce(
                    self._topic, value=value, key=key, on_delivery=deliveries.on_delivery
                )
                return None
            except BufferError:  # the client's queue is full: let it drain, within the timeout
                if time.monotonic() >= deadline:
                    return SendError("kafka: the client's send queue stayed full", retryable=True)
                producer.poll(self._POLL_SLICE_S)
            except KafkaException as exc:
                error = exc.args[0]
                return SendError(
                    f"kafka: cannot produce to {self._topic!r}: {error_kind(error)}: {error.str()}",
                    retryable=is_retryable(error),
                )

    def _wait(self, producer: Producer, deliveries: _Deliveries, deadline: float) -> None:
        """Serve delivery reports until this batch's are all in or the deadline passes."""
        while not deliveries.done:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            # flush() sends at once (it ignores linger.ms) and serves every report, this
            # batch's or another sender's; it returns early when nothing at all is pending.
            producer.flush(min(remaining, self._POLL_SLICE_S))
            deliveries.wait(min(max(0.0, deadline - time.monotonic()), 0.001))


def _log_client_error(error: KafkaError) -> None:
    """Client-level errors (a broker unreachable, all brokers down): the client reconnects by
    itself and failed batches raise, so these are worth a debug line, fatal ones an error."""
    if error.fatal():
        log.error("kafka sink: fatal client error: %s", error.str())
    else:
        log.debug("kafka sink: %s", error.str())
