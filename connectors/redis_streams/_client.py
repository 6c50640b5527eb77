"""What the Redis source and sink share: a client that never retries on its own, and error
texts without the URL's secrets."""

from __future__ import annotations

import logging

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from connectors._support.url_secrets import Redactor, redact_url

log = logging.getLogger("connectors.redis_streams")

#: The field of a sink entry that holds one candidate as JSON (contract, ``sink_topic``).
CANDIDATE_FIELD = "candidate"
#: The field of a source entry that holds one frame, as the JSON text of the frame.
FRAME_FIELD = b"frame"
#: The consumer name when none is given: stable across restarts, so that a restarted job finds
#: its own pending entries again.
DEFAULT_CONSUMER = "sniffer-0"
#: Entries read per XREADGROUP: large batches are Bytewax's biggest throughput knob.
DEFAULT_COUNT = 1024
#: How long one XREADGROUP waits for new entries. Short, because the worker that runs the source
#: runs other steps too (batch timers, the sync send path), and a stop request is seen between
#: two reads.
DEFAULT_BLOCK_MS = 10
#: Ids per XACK / XPENDING call.
ACK_CHUNK = 2048

#: Error replies that mean "not now" rather than "never": a send that got one is retried.
_TRANSIENT_REPLIES: tuple[type[redis.ResponseError], ...] = (
    redis.exceptions.ReadOnlyError,  # a replica during a failover
    redis.exceptions.TryAgainError,
    redis.exceptions.ClusterDownError,
    redis.exceptions.OutOfMemoryError,  # maxmemory reached; consumers may trim
)


def _scrub(text: str, url: str) -> str:
    """`text` without the URL's secrets (error texts from the client library quote parts of the
    URL now and then)."""
    return Redactor(url).scrub(text)


def _client(url: str, timeout_s: float) -> redis.Redis:
    """A client that never retries on its own: the send path (sink) and the backoff of the
    source own retrying, and a hidden retry would both hide failures and sleep in a worker."""
    try:
        return redis.Redis.from_url(
            url,
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
            retry=Retry(NoBackoff(), 0),
            protocol=2,
        )
    except ValueError as exc:
        raise ValueError(
            f"not a usable redis URL ({redact_url(url)}): {_scrub(str(exc), url)}"
        ) from None


def _reply_text(exc: redis.RedisError, url: str) -> str:
    """The server's reply without the command a pipeline error quotes (a whole candidate)."""
    text = str(exc)
    marker = "caused error: "
    if marker in text:
        text = text.split(marker, 1)[1]
    return _scrub(text, url)
