"""The ``redis`` sink. `RedisStreamTransport` appends one stream entry per candidate to
``sink_topic`` with the contract's JSON in the field ``candidate``, trimmed with ``MAXLEN ~
sink_maxlen``. A batch goes out as one pipeline (one round trip, not a MULTI transaction).
Connection errors and timeouts are retryable `SendError`s; an error reply from the server
(``WRONGTYPE`` and the like) is not, except the few replies that say "not now" (``LOADING``,
``READONLY``, ``TRYAGAIN``, ``OOM``...).
"""

from __future__ import annotations

import redis

from connectors._support.closing import CloseOnce
from connectors._support.url_secrets import redact_url
from connectors.redis_streams._client import (
    _TRANSIENT_REPLIES,
    CANDIDATE_FIELD,
    _client,
    _reply_text,
    _scrub,
)
from connectors.redis_streams.settings import RedisSinkSettings
from domain.models import Batch
from domain.transport import SendError


class RedisStreamTransport:
    """XADDs each candidate of a batch to `stream` (field ``candidate``, the contract's JSON),
    bounded by ``MAXLEN ~ maxlen``, the whole batch in one pipeline round trip.

    Thread-safe: the client's connection pool hands each concurrent `send` its own connection.
    Delivery is at-least-once: a batch whose reply was lost (timeout) may have been written, and
    the send path then writes it again.
    """

    def __init__(self, url: str, stream: str, maxlen: int, timeout_s: float) -> None:
        self._url = url
        self._target = redact_url(url)
        self._stream = stream
        self._maxlen = maxlen
        self._client = _client(url, timeout_s)
        self._closing = CloseOnce()

    @classmethod
    def from_settings(cls, settings: RedisSinkSettings) -> RedisStreamTransport:
        """The sink `settings` describe."""
        return cls(settings.url, settings.stream, settings.maxlen, settings.timeout_s)

    def open(self) -> None:
        """Nothing to do: the client connects at the first send (its pool is lazy)."""

    def __repr__(self) -> str:
        return (
            f"RedisStreamTransport({self._target}, stream={self._stream!r}, maxlen={self._maxlen})"
        )

    def send(self, batch: Batch) -> None:
        if not batch.candidates:
            return
        try:
            with self._client.pipeline(transaction=False) as pipe:
                for candidate in batch.candidates:
                    pipe.xadd(
                        self._stream,
                        {CANDIDATE_FIELD: candidate.json_line()},
                        maxlen=self._maxlen,
                        approximate=True,
                    )
                pipe.execute()
        except redis.RedisError as exc:
            raise self._send_error(exc) from None

    def _send_error(self, exc: redis.RedisError) -> SendError:
        where = f"redis {self._target} stream {self._stream!r}"
        if isinstance(
            exc, redis.exceptions.AuthenticationError | redis.exceptions.AuthorizationError
        ):
            return SendError(
                f"{where}: credentials refused: {_scrub(str(exc), self._url)}", retryable=False
            )
        if isinstance(exc, redis.ConnectionError | redis.TimeoutError):
            kind = "timed out" if isinstance(exc, redis.TimeoutError) else "connection failed"
            return SendError(f"{where}: {kind}: {_scrub(str(exc), self._url)}", retryable=True)
        if isinstance(exc, redis.ResponseError):
            transient = isinstance(exc, _TRANSIENT_REPLIES)
            return SendError(
                f"{where}: XADD refused: {_reply_text(exc, self._url)}", retryable=transient
            )
        return SendError(f"{where}: {type(exc).__name__}: {_scrub(str(exc), self._url)}")

    def close(self) -> None:
        if self._closing.first():
            self._client.close()
