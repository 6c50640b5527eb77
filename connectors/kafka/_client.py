"""What the Kafka source and sink share: the broker list, the error classification and the
client's own log lines (librdkafka reports every reconnect attempt; at most one line per facility
and client every `ERROR_LOG_INTERVAL_S` goes out)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from confluent_kafka import KafkaError

from connectors._support.throttled_log import DEFAULT_INTERVAL_S, ThrottleFilter

log = logging.getLogger("connectors.kafka")
#: librdkafka's own log lines (connection failures, configuration warnings) go here.
client_log = logging.getLogger("connectors.kafka.librdkafka")

#: The ``source`` setting's name: the source's metrics' label and every frame's ``source``.
SOURCE_LABEL = "kafka"
#: One log line per error kind at most this often (the rest are only counted).
ERROR_LOG_INTERVAL_S = DEFAULT_INTERVAL_S


def _client_log_key(record: logging.LogRecord) -> tuple[object, ...]:
    # librdkafka logs through ``logger.log(level, "%s [%s] %s", facility, client, text)``.
    args = record.args if isinstance(record.args, tuple) else ()
    return (record.levelno, *args[:2])


client_log.addFilter(ThrottleFilter(_client_log_key, ERROR_LOG_INTERVAL_S))


#: Largest message the sink hands to the broker, as the client's and Kafka's brokers' default.
DEFAULT_MAX_MESSAGE_BYTES = 1_000_000
#: Room left under `max_message_bytes` for a record's framing (a record adds well under 100).
RECORD_OVERHEAD_BYTES = 512

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
