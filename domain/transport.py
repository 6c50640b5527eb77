"""The seam between the send path (operators) and the systems candidates go to (connectors).

A transport delivers one batch or raises; everything around a send (buffering, drop policies,
rate limit, retries, counting) is the send path's job, so each connector stays small.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from domain.models import Batch


class SendError(Exception):
    """A batch could not be delivered. `retryable` says whether trying again may help."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class Transport(Protocol):
    """Delivers batches of candidates to one downstream system.

    `close` flushes and releases what it holds and may be called more than once: the send step
    closes its transport when the stream ends, and the process closes every transport it made
    when it exits, whichever way the job ended.
    """

    def send(self, batch: Batch) -> None:
        """Deliver the batch, or raise (`SendError` for a known failure)."""

    def close(self) -> None:
        """Flush and release what the transport holds. Idempotent."""


class OpenableTransport(Transport, Protocol):
    """A transport with an explicit start: every connector's. `open` takes what the transport
    sends through (a file, a client); a transport opens itself at its first send if nobody did,
    so a test may hand one straight to the send step."""

    def open(self) -> None:
        """Take the file, client or connection the transport sends through."""


@runtime_checkable
class Resumable(Protocol):
    """A transport that can undo writes made after a recovery snapshot (exactly-once output)."""

    def position(self) -> int:
        """Where the next write goes."""

    def truncate_to(self, position: int) -> None:
        """Forget everything written after `position`."""
