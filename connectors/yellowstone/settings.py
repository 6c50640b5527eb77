"""What the ``yellowstone`` source needs, and how it reads a gRPC status. Pure, no I/O."""

from __future__ import annotations

import logging
import urllib.parse
from dataclasses import dataclass, field

log = logging.getLogger("connectors.yellowstone")

#: The ``source`` label of the source's metrics (and `RawFrame.source`).
SOURCE = "yellowstone"
#: Frames handed to Bytewax per `next_batch` at most.
MAX_BATCH = 4096
#: How long the worker waits before polling an empty queue again.
DEFAULT_IDLE_WAIT_S = 0.01
#: The name of the one transaction filter of the subscription (the updates' ``filters``).
FILTER_NAME = "launchpads"
COMMITMENTS = ("processed", "confirmed", "finalized")


class YellowstoneError(RuntimeError):
    """The source cannot go on (the token refused, the endpoint not a Geyser server)."""


@dataclass(frozen=True)
class YellowstoneSettings:
    """What the client needs. The configuration validates every value (`flows.settings` maps it)."""

    #: ``http://host:port`` (plaintext) or ``https://host[:port]`` (TLS). Not in the repr: some
    #: providers put the key in the URL.
    url: str = field(repr=False)
    #: Sent as the ``x-token`` metadata of the call; never logged, not in the repr.
    token: str | None = field(default=None, repr=False)
    programs: tuple[str, ...] = ()
    commitment: str = "processed"
    silence_timeout_s: float = 30.0
    max_message_bytes: int = 64 * 1024 * 1024
    reconnect_initial_s: float = 0.5
    reconnect_max_s: float = 30.0
    queue_capacity: int = 10_000
    #: HTTP/2 keepalive: a ping every this many ms, the connection dropped when it is not
    #: answered within the timeout (a path that died silently is noticed below the app's watchdog).
    keepalive_time_ms: int = 15_000
    keepalive_timeout_ms: int = 10_000
    #: PEM roots trusted for ``https://`` (None: the system's). For a private CA, and the tests.
    tls_root_certificates: bytes | None = field(default=None, repr=False)
    #: Signatures remembered to drop the overlap a resubscription from the last slot replays.
    dedup_capacity: int = 50_000


def target_of(url: str) -> tuple[str, bool]:
    """``(host:port, tls)`` of a ``http://`` / ``https://`` URL; ValueError for anything else."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("the gRPC URL must be http://host:port or https://host[:port]")
    tls = parts.scheme == "https"
    port = parts.port or (443 if tls else 80)
    host = parts.hostname
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    return f"{host}:{port}", tls


def mask_token(text: str, token: str | None) -> str:
    """`text` with the token replaced (a server may echo it back in an error's details)."""
    if token and len(token) >= 4 and token in text:
        text = text.replace(token, "***")
    return text
