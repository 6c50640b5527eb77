"""The ``redis`` source. `RedisStreamSource` reads the field ``frame`` of each entry of
``source_topic`` as a consumer of the group ``source_group`` (XREADGROUP), and hands the bytes
on unparsed: deciding what is a valid frame is the detection step's job, which counts the bad
ones. An entry without a ``frame`` field is handed on as an empty payload, so it is counted as
invalid rather than lost. The group is created (MKSTREAM) from id 0 when missing, so nothing
already in the stream is missed.

Acknowledgement (XACK) follows Bytewax's snapshots. The partition's snapshot is the id of the
last entry it handed on; the entries up to it are acknowledged at the first `next_batch` AFTER
that snapshot, not in `snapshot` itself. Bytewax calls `next_batch` of the next epoch only once
every output has finished the previous epoch and, with recovery on, once the epoch's snapshots
are written (checked against 0.21.1: a process killed at that first `next_batch` resumes from
that very snapshot). So an acknowledged entry has been through the whole dataflow and, with
recovery, is covered by a durable snapshot. On resume from a snapshot id ``S``, this consumer's
pending entries up to ``S`` are acknowledged (the resumed state already holds their effects) and
those after ``S`` are read again (XREADGROUP from ``S``) before new ones (``>``): at-least-once.
Without recovery every start reads this consumer's whole pending list again, from id 0.

A lost connection never stops the job: `next_batch` returns nothing, waits (through
`next_awake`, never by sleeping) with exponential backoff, and tries again; every time the
connection comes back is counted in ``sniffer_source_reconnects_total{source="redis"}``.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import redis
from bytewax.inputs import FixedPartitionedSource, StatefulSourcePartition

from connectors._support.backoff import Backoff
from connectors._support.url_secrets import redact_url
from connectors.redis_streams._client import (
    ACK_CHUNK,
    DEFAULT_BLOCK_MS,
    DEFAULT_CONSUMER,
    DEFAULT_COUNT,
    FRAME_FIELD,
    _client,
    _scrub,
    log,
)
from connectors.redis_streams.settings import RedisSourceSettings
from domain.metrics import Metrics
from domain.models import RawFrame

#: The ``source`` setting's name for this source, carried by every frame (the ``source`` output
#: field) and the label of its metrics.
SOURCE_NAME = "redis"


@dataclass(frozen=True)
class _Reading:
    """How the partitions of one source read: everything but the consumer and the position."""

    url: str = field(repr=False)
    stream: str
    group: str
    clock: Callable[[], float]
    metrics: Metrics | None
    count: int
    block_ms: int
    timeout_s: float
    backoff: Callable[[], Backoff]


class RedisStreamSource(FixedPartitionedSource[RawFrame, str | None]):
    """Frames from the field ``frame`` of the entries of `stream`, read as `consumer` of `group`.

    One partition, named after the consumer; its resume state is the id of the last entry it
    handed on. Keep the consumer name stable across restarts: the entries a crashed run had not
    acknowledged are pending under that name and are read again from there. A lost connection
    is tried again after the connectors' backoff (doubling from `reconnect_initial_s` up to
    `reconnect_max_s`, full jitter drawn from `rng`).
    """

    def __init__(
        self,
        url: str,
        stream: str,
        group: str,
        consumer: str = DEFAULT_CONSUMER,
        clock: Callable[[], float] = time.time,
        metrics: Metrics | None = None,
        *,
        count: int = DEFAULT_COUNT,
        block_ms: int = DEFAULT_BLOCK_MS,
        timeout_s: float = 5.0,
        reconnect_initial_s: float = 0.1,
        reconnect_max_s: float = 5.0,
        rng: random.Random | None = None,
    ) -> None:
        if count <= 0:
            raise ValueError(f"count must be > 0, got {count}")
        if block_ms < 0:
            raise ValueError(f"block_ms must be >= 0, got {block_ms}")
        if not consumer:
            raise ValueError("the consumer name must not be empty")
        _client(url, timeout_s).close()  # a bad URL fails here, before the dataflow starts
        self._consumer = consumer
        self._reading = _Reading(
            url,
            stream,
            group,
            clock,
            metrics,
            count,
            block_ms,
            timeout_s,
            lambda: Backoff(reconnect_initial_s, reconnect_max_s, rng),
        )

    @classmethod
    def from_settings(
        cls, settings: RedisSourceSettings, metrics: Metrics | None = None
    ) -> RedisStreamSource:
        """The source `settings` describe."""
        return cls(settings.url, settings.stream, settings.group, metrics=metrics)

    def __repr__(self) -> str:
        reading = self._reading
        return (
            f"RedisStreamSource({redact_url(reading.url)}, stream={reading.stream!r}, "
            f"group={reading.group!r}, consumer={self._consumer!r})"
        )

    def list_parts(self) -> list[str]:
        return [self._consumer]

    def build_part(
        self, step_id: str, for_part: str, resume_state: str | None
    ) -> RedisStreamPartition:
        return RedisStreamPartition(self._reading, for_part, resume_state)


class _GroupMissing(Exception):
    """The consumer group (or the stream) is gone: created again, and the read retried."""


class RedisStreamPartition(StatefulSourcePartition[RawFrame, str | None]):
    """One consumer of the group. See the module docstring for acknowledgement and resume."""

    def __init__(self, reading: _Reading, consumer: str, resume_id: str | None) -> None:
        self._url = reading.url
        self._target = redact_url(reading.url)
        self._stream = reading.stream
        self._group = reading.group
        self._consumer = consumer
        self._clock = reading.clock
        self._metrics = reading.metrics
        self._count = reading.count
        self._block_ms = reading.block_ms
        # The socket must outwait a blocking read.
        self._client = _client(reading.url, reading.timeout_s + reading.block_ms / 1000)
        self._backoff = reading.backoff()

        #: The snapshot: the id of the last entry handed on (or the resume id until then).
        self._last_id: str | None = resume_id
        #: Pending entries up to here are covered by the resumed state: acknowledged, not re-read.
        self._resume_ack_upto: str | None = resume_id
        #: Reading this consumer's pending entries after this id; None once they are all read.
        self._pending_cursor: str | None = resume_id or "0"
        #: Ids handed on and not acknowledged yet, in order; the first `_ack_ready` of them are
        #: covered by a snapshot and are acknowledged at the next `next_batch`.
        self._unacked: list[bytes] = []
        self._ack_ready = 0
        self._group_ready = False

        self._retry_at: float | None = None
        self._connected_once = False
        self._lost_connection = False
        self._warned_no_frame = False

    # -- Bytewax's interface --

    def next_batch(self) -> list[RawFrame]:
        now = self._clock()
        if self._retry_at is not None and now < self._retry_at:
            return []
        try:
            entries = self._step()
        except _GroupMissing:
            try:
                entries = self._step()  # once more, with the group just created
            except (_GroupMissing, redis.RedisError) as exc:
                self._failed(exc)
                return []
        except redis.RedisError as exc:
            self._failed(exc)
            return []
        self._succeeded()
        return self._frames(entries, now)

    def next_awake(self) -> datetime | None:
        if self._retry_at is None:
            return None
        return datetime.fromtimestamp(self._retry_at, tz=timezone.utc)

    def snapshot(self) -> str | None:
        # Only remember what this snapshot covers; the acknowledgement waits for the next
        # `next_batch`, which Bytewax calls once the epoch is through the dataflow and saved.
        self._ack_ready = len(self._unacked)
        return self._last_id

    def close(self) -> None:
        # No XACK here: at the end of the stream the last epoch is still in flight downstream.
        self._client.close()

    # -- reading and acknowledging --

    def _step(self) -> list[tuple[bytes, dict[bytes, bytes] | None]]:
        try:
            if not self._group_ready:
                self._create_group()
            if self._resume_ack_upto is not None:
                self._ack_pending_upto(self._resume_ack_upto)
                self._resume_ack_upto = None
            self._ack_snapshotted()
            return self._read()
        except redis.ResponseError as exc:
            if str(exc).startswith("NOGROUP"):
                self._group_gone()
                raise _GroupMissing from exc
            raise

    def _create_group(self) -> None:
        try:
            self._client.xgroup_create(self._stream, self._group, id="0", mkstream=True)
            log.info(
                "redis source: created consumer group %r on stream %r at %s (from id 0)",
                self._group,
                self._stream,
                self._target,
            )
        except redis.ResponseError as exc:
            if not str(exc).startswith("BUSYGROUP"):
                raise
        self._group_ready = True

    def _group_gone(self) -> None:
        """The group vanished (a Redis restarted without persistence, or deleted by hand): its
        pending list went with it, so there is nothing left to acknowledge or re-read."""
        log.warning(
            "redis source: consumer group %r on stream %r at %s is gone; creating it again",
            self._group,
            self._stream,
            self._target,
        )
        self._group_ready = False
        self._unacked.clear()
        self._ack_ready = 0
        self._pending_cursor = None
        self._resume_ack_upto = None

    def _ack_pending_upto(self, upto: str) -> None:
        while True:
            rows = self._client.xpending_range(
                self._stream,
                self._group,
                min="-",
                max=upto,
                count=ACK_CHUNK,
                consumername=self._consumer,
            )
            if not rows:
                return
            self._client.xack(self._stream, self._group, *[row["message_id"] for row in rows])
            if len(rows) < ACK_CHUNK:
                return

    def _ack_snapshotted(self) -> None:
        while self._ack_ready > 0:
            chunk = self._unacked[: min(self._ack_ready, ACK_CHUNK)]
            self._client.xack(self._stream, self._group, *chunk)
            del self._unacked[: len(chunk)]
            self._ack_ready -= len(chunk)

    def _read(self) -> list[tuple[bytes, dict[bytes, bytes] | None]]:
        if self._pending_cursor is not None:
            # First what this consumer was handed before and never acknowledged (no BLOCK: a
            # read of the pending list answers at once).
            reply = self._client.xreadgroup(
                self._group,
                self._consumer,
                {self._stream: self._pending_cursor},
                count=self._count,
            )
            entries = list(_stream_entries(reply))
            if entries:
                self._pending_cursor = _text(entries[-1][0])
                return entries
            self._pending_cursor = None
        reply = self._client.xreadgroup(
            self._group,
            self._consumer,
            {self._stream: ">"},
            count=self._count,
            block=self._block_ms or None,  # BLOCK 0 would wait forever
        )
        return list(_stream_entries(reply))

    def _frames(
        self, entries: list[tuple[bytes, dict[bytes, bytes] | None]], now: float
    ) -> list[RawFrame]:
        frames: list[RawFrame] = []
        vanished = 0
        for entry_id, fields in entries:
            self._unacked.append(entry_id)
            if not fields:
                # A pending entry deleted from the stream (XDEL, or trimmed) before it was
                # processed: its frame is gone. It is acknowledged with the others.
                vanished += 1
                continue
            payload = fields.get(FRAME_FIELD)
            if payload is None:
                self._warn_no_frame(entry_id, fields)
                payload = b""
            frames.append(RawFrame(payload, now, SOURCE_NAME))
        if entries:
            self._last_id = _text(entries[-1][0])
        if vanished:
            log.warning(
                "redis source: %d pending entries of stream %r were deleted before they were "
                "processed; their frames are lost",
                vanished,
                self._stream,
            )
        return frames

    def _warn_no_frame(self, entry_id: bytes, fields: dict[bytes, bytes]) -> None:
        level = logging.DEBUG if self._warned_no_frame else logging.WARNING
        self._warned_no_frame = True
        log.log(
            level,
            "redis source: entry %s of stream %r has no %r field (fields: %s); handed on as an "
            "empty frame",
            _text(entry_id),
            self._stream,
            FRAME_FIELD.decode(),
            ", ".join(sorted(_text(name) for name in fields)),
        )

    # -- failures and backoff --

    def _failed(self, exc: Exception) -> None:
        connection = isinstance(exc, redis.ConnectionError | redis.TimeoutError)
        if connection:
            self._lost_connection = self._lost_connection or self._connected_once
        elif self._metrics is not None:
            self._metrics.source_errors.labels(SOURCE_NAME, _error_kind(exc)).inc()
        if isinstance(exc, redis.exceptions.AuthenticationError):
            what = "credentials refused"
        elif isinstance(exc, redis.TimeoutError):
            what = "timed out"
        elif connection:
            what = "connection failed"
        else:
            what = "error reply"
        delay = self._backoff.next_delay()
        self._retry_at = self._clock() + delay
        log.warning(
            "redis source: %s at %s (attempt %d, next in %.1f s): %s",
            what,
            self._target,
            self._backoff.failures,
            delay,
            _scrub(str(exc), self._url),
        )

    def _succeeded(self) -> None:
        if self._backoff.failures:
            log.info(
                "redis source: reading from %s again after %d failed attempts",
                self._target,
                self._backoff.failures,
            )
        if self._lost_connection:
            if self._metrics is not None:
                self._metrics.source_reconnects.labels(SOURCE_NAME).inc()
            self._lost_connection = False
        self._connected_once = True
        self._backoff.reset()
        self._retry_at = None


def _error_kind(exc: Exception) -> str:
    """A small, fixed label for `source_errors{kind}`: the error reply's code (WRONGTYPE,
    NOPERM, ...) for a reply the server refused, else the kind of failure."""
    if isinstance(exc, redis.ResponseError):
        code = str(exc).split(" ", 1)[0]
        return code.lower() if code.isupper() and code.isalpha() else "reply_error"
    if isinstance(exc, _GroupMissing):
        return "nogroup"
    return "client_error"


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _stream_entries(reply: Any) -> Iterator[tuple[bytes, dict[bytes, bytes] | None]]:
    """The entries of an XREADGROUP reply, whichever shape the client returns it in (RESP2:
    ``[[stream, entries]]``; RESP3: ``{stream: entries}`` or ``{stream: [entries]}``)."""
    if not reply:
        return
    per_stream = reply.values() if isinstance(reply, dict) else (item[1] for item in reply)
    for entries in per_stream:
        yield from _flatten_entries(entries)


def _flatten_entries(items: Any) -> Iterator[tuple[bytes, dict[bytes, bytes] | None]]:
    for item in items or ():
        if isinstance(item, tuple | list) and len(item) == 2 and isinstance(item[0], bytes | str):
            entry_id = item[0] if isinstance(item[0], bytes) else item[0].encode()
            yield entry_id, item[1]
        else:
            yield from _flatten_entries(item)
