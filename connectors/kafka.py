"""The `kafka` source and sink: frames in from a Kafka topic, candidates out to another one.

Both sit on the client Bytewax's own Kafka connector uses, `confluent_kafka` (librdkafka).

**Source.** `KafkaFrameSource` is a `FixedPartitionedSource[RawFrame, ...]` that delegates
`list_parts` and `build_part` to Bytewax's `bytewax.connectors.kafka.KafkaSource`: one source
partition per Kafka partition (named ``"<index>-<topic>"``), spread over the workers of the job.
Each `KafkaSourceMessage` becomes ``RawFrame(payload=value, arrived_at=clock())``; a message
without a value is handed on as an empty payload, so the decoder counts it as invalid like any bad
frame. An error the consumer reports, for the client (brokers unreachable, authentication) or for a
message (a corrupt one), never stops the job: it is counted in
``sniffer_source_errors_total{source="kafka",kind}``, logged (at most one line per kind every
`ERROR_LOG_INTERVAL_S`) and skipped; librdkafka reconnects by itself. (Bytewax's connector would
raise, or hand the error on as an item; this source takes ``raise_on_errors=False`` and handles it
here.) librdkafka's own log lines go to the ``connectors.kafka.librdkafka`` logger, at most one
line per facility and client every `ERROR_LOG_INTERVAL_S`.

Where it starts reading, per partition: with recovery (``-r``), the offset in Bytewax's snapshot
(the resume state is the partition's next offset), so a resumed job re-reads what the last
completed epoch had not finished: at least once. Without a resume state, the consumer group's
committed offset (``group``; the source commits the offsets it has handed to the dataflow every
few seconds and when it closes), and for a group that has none, `start_at` (``earliest`` or
``latest``). The group only stores offsets: partitions are assigned to workers by Bytewax, not by
the group protocol, so two separate jobs with the same group both read every partition.

**Sink.** `KafkaTransport` is a `domain.transport.Transport`: the send path calls ``send(batch)``
synchronously and does retries and accounting itself (a Bytewax `KafkaSink` at the end of the
dataflow would bypass the stream buffers). One message per candidate, key = the mint (UTF-8; the
signature when the mint is null, e.g. a logs-only Raydium launch), value = the contract's JSON line
(`Candidate.json_line`). ``send`` returns once the broker acknowledged every message of the batch
(``acks=all``) and raises `SendError` otherwise, within ``timeout_s``: ``retryable=False`` for
errors that repeating cannot fix (a message over ``max_message_bytes``, an invalid or unknown
topic, an authorization failure), ``retryable=True`` for the rest (broker down, timeouts). Order
within a partition is kept (one request in flight per broker); keys go to partitions with the
Java client's murmur2 hash. A batch that failed may have been partly delivered: retried, those
candidates arrive twice (at least once). It is safe to share between threads: each batch waits
only for its own delivery reports.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal, cast

from bytewax.connectors.kafka import KafkaError as BytewaxKafkaError
from bytewax.connectors.kafka import KafkaSource, KafkaSourceMessage
from bytewax.inputs import FixedPartitionedSource, StatefulSourcePartition
from confluent_kafka import (
    OFFSET_BEGINNING,
    OFFSET_END,
    OFFSET_STORED,
    KafkaError,
    KafkaException,
    Producer,
)
from confluent_kafka.admin import AdminClient

from domain.config import SnifferConfig
from domain.metrics import Metrics
from domain.models import Batch, Candidate, RawFrame
from domain.transport import SendError

log = logging.getLogger(__name__)
#: librdkafka's own log lines (connection failures, configuration warnings) go here.
client_log = logging.getLogger(__name__ + ".librdkafka")

SOURCE_LABEL = "kafka"
#: One log line per error kind at most this often (the rest are only counted). A broker that is
#: down makes librdkafka report every reconnect attempt, several a second.
ERROR_LOG_INTERVAL_S = 10.0


class _Throttle:
    """Says yes to a key at most once per `interval` seconds, and how many it said no to since.
    Thread-safe: the workers of a process share it."""

    def __init__(self, interval: float) -> None:
        self._interval = interval
        self._lock = threading.Lock()
        self._seen: dict[Any, tuple[float, int]] = {}

    def allow(self, key: Any) -> tuple[bool, int]:
        now = time.monotonic()
        with self._lock:
            last, suppressed = self._seen.get(key, (now - self._interval, 0))
            if now - last >= self._interval:
                self._seen[key] = (now, 0)
                return True, suppressed
            self._seen[key] = (last, suppressed + 1)
            return False, suppressed + 1


class _ThrottleClientLog(logging.Filter):
    """librdkafka logs through ``logger.log(level, "%s [%s] %s", facility, client, text)``."""

    def __init__(self) -> None:
        super().__init__()
        self._throttle = _Throttle(ERROR_LOG_INTERVAL_S)

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        return self._throttle.allow((record.levelno, *args[:2]))[0]


client_log.addFilter(_ThrottleClientLog())

#: Largest message the sink hands to the broker, as the client's and Kafka's brokers' default.
DEFAULT_MAX_MESSAGE_BYTES = 1_000_000
#: Room left under `max_message_bytes` for a record's framing (a record adds well under 100).
_RECORD_OVERHEAD_BYTES = 512

#: Delivery errors that trying the same batch again cannot fix. Everything else (a broker that
#: is down or restarting, a timeout, a leader election) is worth a retry.
PERMANENT_ERRORS = frozenset(
    {
        KafkaError.MSG_SIZE_TOO_LARGE,
        KafkaError.RECORD_LIST_TOO_LARGE,
        KafkaError.INVALID_MSG_SIZE,
        KafkaError.INVALID_RECORD,
        KafkaError.TOPIC_EXCEPTION,  # an invalid topic name
        KafkaError.UNKNOWN_TOPIC_OR_PART,  # the topic does not exist (no auto-create)
        KafkaError._UNKNOWN_TOPIC,
        KafkaError._UNKNOWN_PARTITION,
        KafkaError.TOPIC_AUTHORIZATION_FAILED,
        KafkaError.CLUSTER_AUTHORIZATION_FAILED,
        KafkaError.SASL_AUTHENTICATION_FAILED,
        KafkaError._AUTHENTICATION,
        KafkaError.INVALID_REQUIRED_ACKS,
        KafkaError.POLICY_VIOLATION,
        KafkaError.UNSUPPORTED_VERSION,
        KafkaError._INVALID_ARG,
        KafkaError._FATAL,
    }
)


def parse_brokers(brokers: str | Iterable[str]) -> list[str]:
    """``"host:port,host:port"`` (or a list of them, each optionally ``kafka://``-prefixed) as
    the list of ``host:port`` entries librdkafka wants. Raises ValueError when none is given."""
    entries = brokers.split(",") if isinstance(brokers, str) else list(brokers)
    parsed = []
    for entry in entries:
        entry = entry.strip()
        for scheme in ("kafka://", "tcp://", "plaintext://"):
            if entry.lower().startswith(scheme):
                entry = entry[len(scheme) :]
        entry = entry.rstrip("/")
        if "@" in entry:
            # Never echo the entry: it would carry a password into the logs.
            raise ValueError(
                "Kafka brokers are host:port; credentials in the address are not supported"
            )
        if entry:
            parsed.append(entry)
    if not parsed:
        raise ValueError("no Kafka broker given (expected host:port[,host:port...])")
    return parsed


def is_retryable(error: KafkaError) -> bool:
    """Whether a batch that failed with `error` may succeed when sent again."""
    return not error.fatal() and error.code() not in PERMANENT_ERRORS


def error_kind(error: KafkaError) -> str:
    """A short, bounded label for an error: librdkafka's name, lower case, e.g. ``transport``."""
    return (error.name() or "unknown").lstrip("_").lower()


# --- the source ----------------------------------------------------------------------------------


class KafkaFrameSource(FixedPartitionedSource[RawFrame, Any]):
    """Frames from one Kafka topic, on Bytewax's `KafkaSource`; see the module docstring.

    ``tail=False`` ends the stream at the end of every partition (as the topic stood when each
    partition was reached), which suits tests and one-off re-runs of a recorded topic.
    ``connect_timeout_s`` bounds how long `list_parts` waits for the brokers when the job starts
    (Bytewax's own call would wait forever); then it raises RuntimeError.
    """

    def __init__(
        self,
        brokers: str | Iterable[str],
        topic: str,
        *,
        group: str | None = "sniffer",
        start_at: Literal["earliest", "latest"] = "earliest",
        tail: bool = True,
        batch_size: int = 1000,
        metrics: Metrics | None = None,
        clock: Callable[[], float] = time.time,
        connect_timeout_s: float = 30.0,
        add_config: Mapping[str, str] | None = None,
    ) -> None:
        self._brokers = parse_brokers(brokers)
        self._topic = topic
        self._clock = clock
        self._connect_timeout_s = connect_timeout_s
        self._errors = KafkaSourceErrors(metrics)
        # Bytewax types add_config as str -> str, but it hands the dict to confluent_kafka as
        # is, which also takes a `logging.Logger` and callbacks.
        config: dict[str, Any] = {
            "client.id": "sniffer-source",
            "logger": client_log,
            # Client-level errors (brokers unreachable): without a callback librdkafka only
            # logs them, and the source would not count them.
            "error_cb": self._errors.client_error,
        }
        if group is None:
            starting_offset = OFFSET_BEGINNING if start_at == "earliest" else OFFSET_END
        else:
            # Start from the group's committed offset, or `start_at` when it has none; commit
            # the offsets handed to the dataflow. librdkafka commits for assigned partitions
            # too (Bytewax assigns, it does not subscribe).
            starting_offset = OFFSET_STORED
            config.update(
                {
                    "group.id": group,
                    "enable.auto.commit": "true",
                    "auto.offset.reset": start_at,
                }
            )
        config.update(add_config or {})
        self._inner = KafkaSource(
            self._brokers,
            [topic],
            tail=tail,
            starting_offset=starting_offset,
            add_config=cast(dict[str, str], config),
            batch_size=batch_size,
            raise_on_errors=False,
        )

    @classmethod
    def from_config(
        cls, config: SnifferConfig, metrics: Metrics | None = None, **options: Any
    ) -> KafkaFrameSource:
        """The ``source=kafka`` of a configuration: ``source_url`` (brokers), ``source_topic``,
        ``source_group``. `options` go to the constructor."""
        if config.source_url is None:
            raise ValueError("source=kafka needs source_url")
        return cls(
            config.source_url.get_secret_value(),
            config.source_topic,
            group=config.source_group,
            metrics=metrics,
            **options,
        )

    def list_parts(self) -> list[str]:
        # Bytewax asks the brokers without a timeout; ask once with one, so that a job whose
        # brokers are unreachable fails at start with a clear message instead of hanging.
        admin_config: dict[str, Any] = {
            "bootstrap.servers": ",".join(self._brokers),
            "logger": client_log,
        }
        admin = AdminClient(admin_config)
        try:
            admin.list_topics(self._topic, timeout=self._connect_timeout_s)
        except KafkaException as exc:
            raise RuntimeError(
                f"kafka source: no answer from the brokers {','.join(self._brokers)} "
                f"for topic {self._topic!r} within {self._connect_timeout_s:g}s: {exc}"
            ) from None
        return self._inner.list_parts()

    def build_part(
        self, step_id: str, for_part: str, resume_state: Any | None
    ) -> KafkaFramePartition:
        inner = self._inner.build_part(step_id, for_part, resume_state)
        return KafkaFramePartition(inner, for_part, resume_state, self._clock, self._errors)


class KafkaSourceErrors:
    """Counts and logs (throttled) what the consumers of one source report."""

    def __init__(self, metrics: Metrics | None) -> None:
        self._metrics = metrics
        self._throttle = _Throttle(ERROR_LOG_INTERVAL_S)

    def client_error(self, error: KafkaError) -> None:
        """librdkafka's error_cb, served in the worker thread that polls the consumer."""
        self.report(error, "client")

    def report(self, error: KafkaError, where: str) -> None:
        kind = error_kind(error)
        self.count(kind)
        allowed, suppressed = self._throttle.allow(kind)
        if allowed:
            more = f" ({suppressed} more like it not logged)" if suppressed else ""
            level = logging.ERROR if error.fatal() else logging.WARNING
            log.log(level, "kafka source (%s): %s%s", where, error.str(), more)

    def count(self, kind: str) -> None:
        if self._metrics is not None:
            self._metrics.source_errors.labels(source=SOURCE_LABEL, kind=kind).inc()


class KafkaFramePartition(StatefulSourcePartition[RawFrame, Any]):
    """One Kafka partition: Bytewax's partition reads, this one turns messages into frames."""

    def __init__(
        self,
        inner: StatefulSourcePartition[Any, Any],
        name: str,
        resume_state: int | None,
        clock: Callable[[], float],
        errors: KafkaSourceErrors,
    ) -> None:
        self._inner = inner
        self._name = name
        self._clock = clock
        self._errors = errors
        #: The next offset to read, once a message told us; until then the inner snapshot.
        self._next_offset: int | None = resume_state

    def next_batch(self) -> list[RawFrame]:
        items = self._inner.next_batch()  # StopIteration at the end (tail=False) passes through
        now = self._clock()
        frames: list[RawFrame] = []
        for item in items:
            if isinstance(item, KafkaSourceMessage):
                value = item.value
                frames.append(RawFrame(value if value is not None else b"", now))
                offset = item.offset
            elif isinstance(item, BytewaxKafkaError):
                self._errors.report(item.err, f"partition {self._name}")
                offset = item.msg.offset
            else:  # not something Bytewax's connector makes; count it, never crash
                self._errors.count("unexpected_item")
                continue
            if offset is not None and offset >= 0:
                self._next_offset = offset + 1
        return frames

    def next_awake(self) -> datetime | None:
        return self._inner.next_awake()

    def snapshot(self) -> int | None:
        # Bytewax's partition moves its offset to the last message of a batch even when that
        # message is an error without an offset (-1001), which would make the snapshot a logical
        # offset; the last real offset seen is the position to resume from.
        if self._next_offset is not None and self._next_offset >= 0:
            return self._next_offset
        state: int | None = self._inner.snapshot()
        return state

    def close(self) -> None:
        self._inner.close()  # also commits the group's final offsets


# --- the sink ------------------------------------------------------------------------------------


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
        if timeout_s <= 0:
            raise ValueError(f"timeout_s={timeout_s!r}: must be > 0")
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
        self._producer = Producer(config)
        self._lock = threading.Lock()
        self._closed = False

    @classmethod
    def from_config(cls, config: SnifferConfig, **options: Any) -> KafkaTransport:
        """The ``sink=kafka`` of a configuration: ``sink_url`` (brokers), ``sink_topic``,
        ``sink_timeout_s``. `options` go to the constructor."""
        if config.sink_url is None:
            raise ValueError("sink=kafka needs sink_url")
        return cls(
            config.sink_url.get_secret_value(),
            config.sink_topic,
            config.sink_timeout_s,
            **options,
        )

    def send(self, batch: Batch) -> None:
        with self._lock:
            if self._closed:
                raise SendError("the kafka sink is closed", retryable=False)
        deadline = time.monotonic() + self._timeout_s
        messages = [(candidate_key(c), c.json_line()) for c in batch.candidates]
        limit = self._max_message_bytes - _RECORD_OVERHEAD_BYTES
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
            refused = self._produce(key, value, deliveries, deadline)
            if refused is not None:
                deliveries.expect_fewer(len(messages) - index)
                self._wait(deliveries, deadline)  # what went out still reports; serve it
                raise refused
        self._wait(deliveries, deadline)
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
        with self._lock:
            if self._closed:
                return
            self._closed = True
        left = self._producer.flush(self._timeout_s)
        if left:
            log.warning("kafka sink: %d messages not delivered at close", left)
            self._producer.purge()
            self._producer.poll(0)

    def _produce(
        self, key: bytes, value: bytes, deliveries: _Deliveries, deadline: float
    ) -> SendError | None:
        """Hand one message to the client; the error to raise when it refuses it."""
        while True:
            try:
                self._producer.produce(
                    self._topic, value=value, key=key, on_delivery=deliveries.on_delivery
                )
                return None
            except BufferError:  # the client's queue is full: let it drain, within the timeout
                if time.monotonic() >= deadline:
                    return SendError("kafka: the client's send queue stayed full", retryable=True)
                self._producer.poll(self._POLL_SLICE_S)
            except KafkaException as exc:
                error = exc.args[0]
                return SendError(
                    f"kafka: cannot produce to {self._topic!r}: {error_kind(error)}: {error.str()}",
                    retryable=is_retryable(error),
                )

    def _wait(self, deliveries: _Deliveries, deadline: float) -> None:
        """Serve delivery reports until this batch's are all in or the deadline passes."""
        while not deliveries.done:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            # flush() sends at once (it ignores linger.ms) and serves every report, this
            # batch's or another sender's; it returns early when nothing at all is pending.
            self._producer.flush(min(remaining, self._POLL_SLICE_S))
            deliveries.wait(min(max(0.0, deadline - time.monotonic()), 0.001))


def _log_client_error(error: KafkaError) -> None:
    """Client-level errors (a broker unreachable, all brokers down): the client reconnects by
    itself and failed batches raise, so these are worth a debug line, fatal ones an error."""
    if error.fatal():
        log.error("kafka sink: fatal client error: %s", error.str())
    else:
        log.debug("kafka sink: %s", error.str())
