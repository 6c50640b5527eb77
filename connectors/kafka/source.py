"""The ``kafka`` source: frames in from a Kafka topic.

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
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, Literal, cast

from bytewax.connectors.kafka import KafkaError as BytewaxKafkaError
from bytewax.connectors.kafka import KafkaSource, KafkaSourceMessage
from bytewax.inputs import FixedPartitionedSource, StatefulSourcePartition
from confluent_kafka import OFFSET_BEGINNING, OFFSET_END, OFFSET_STORED, KafkaError, KafkaException
from confluent_kafka.admin import AdminClient

from connectors._support.throttled_log import ThrottledLog
from connectors.kafka._client import (
    ERROR_LOG_INTERVAL_S,
    SOURCE_LABEL,
    client_log,
    error_kind,
    log,
    parse_brokers,
)
from connectors.kafka.settings import KafkaSourceSettings
from domain.metrics import Metrics
from domain.models import RawFrame


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
    def from_settings(
        cls, settings: KafkaSourceSettings, metrics: Metrics | None = None, **options: Any
    ) -> KafkaFrameSource:
        """The source `settings` describe; `options` go to the constructor."""
        return cls(
            settings.brokers, settings.topic, group=settings.group, metrics=metrics, **options
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
        self._log = ThrottledLog(log, ERROR_LOG_INTERVAL_S)

    def client_error(self, error: KafkaError) -> None:
        """librdkafka's error_cb, served in the worker thread that polls the consumer."""
        self.report(error, "client")

    def report(self, error: KafkaError, where: str) -> None:
        kind = error_kind(error)
        self.count(kind)
        level = logging.ERROR if error.fatal() else logging.WARNING
        self._log.log(kind, level, "kafka source (%s): %s", where, error.str())

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
                frames.append(RawFrame(value if value is not None else b"", now, SOURCE_LABEL))
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
