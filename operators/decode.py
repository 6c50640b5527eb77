"""The decode boundary: one raw frame in, a Launch, an InvalidFrame or None out. Never raises.

An exception escaping a Bytewax step kills every worker of the job, so everything that can go wrong
with a frame (bad JSON, a wrong shape, corrupt event data, a bug) ends here as an `InvalidFrame`
with a reason from `INVALID_REASONS`, the fixed label set of ``sniffer_tx_invalid_total``.

None means "ignored": a well-formed transaction that holds no launch, or a failed transaction
(``err`` not null: its launch logs are printed even though nothing was created).
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from domain.models import InvalidFrame, Launch, RawFrame
from solwire.detect import Detector
from solwire.frames import (
    BAD_FIELD,
    EMPTY_RESULT,
    INTERNAL_ERROR,
    MISSING_FIELD,
    NOT_A_TRANSACTION,
    NOT_JSON,
    NOT_OBJECT,
    RPC_ERROR,
    UNDECODABLE_EVENT,
    FrameError,
    read_frame,
)
from solwire.launchpads import FoundLaunch, UndecodableEvent
from solwire.txmodel import Transaction

__all__ = ["ALL_LAUNCHPADS", "INVALID_REASONS", "MAX_PAYLOAD_BYTES", "decode_frame"]

#: The detector of every launchpad in the registry (the ``launchpads`` setting's default).
ALL_LAUNCHPADS = Detector()

#: Every reason an InvalidFrame can carry (a Prometheus label: small and fixed).
INVALID_REASONS: tuple[str, ...] = (
    NOT_JSON,  # not parseable JSON (also: payload neither bytes nor str)
    NOT_OBJECT,  # JSON, but not an object at the top
    RPC_ERROR,  # a JSON-RPC error response
    NOT_A_TRANSACTION,  # subscription acks, other notifications, other results
    EMPTY_RESULT,  # a result that is null (getTransaction of an unknown signature)
    MISSING_FIELD,  # a field the format requires is absent or null
    BAD_FIELD,  # a field has the wrong type or an impossible value
    UNDECODABLE_EVENT,  # launch logs present, their event data corrupt
    INTERNAL_ERROR,  # a bug in the decoder; should never happen
)

#: How much of an invalid frame's text is kept in `InvalidFrame.payload` (UTF-8 bytes).
MAX_PAYLOAD_BYTES = 64 * 1024
_MAX_DETAIL_CHARS = 300
_FOUND_FIELDS = tuple(field.name for field in fields(FoundLaunch))


def decode_frame(
    frame: RawFrame,
    detected_at: float,
    detector: Detector = ALL_LAUNCHPADS,
    tx: Transaction | None = None,
) -> Launch | InvalidFrame | None:
    """Decode one frame; never raises.

    None = ignored (a valid transaction that holds no launch of `detector`'s launchpads, or a
    failed transaction: err not null). A frame holding two launches yields the first one only.
    `tx`: the transaction already read from this frame's payload (`Detector.prefilter` reads
    the frames it lets through), so the payload is not parsed twice.
    """
    try:
        if tx is None:
            tx = read_frame(frame.payload)
        found = detector.find(tx)
        if found is None:
            return None
        # Every field detection found is a `Launch` field of the same name; the frame adds the
        # transaction's identity and the two times.
        found_fields = {name: getattr(found, name) for name in _FOUND_FIELDS}
        return Launch(
            signature=tx.signature,
            slot=tx.slot,
            arrived_at=frame.arrived_at,
            detected_at=detected_at,
            source=frame.source,
            **found_fields,
        )
    except FrameError as exc:
        return _invalid(frame, exc.reason, exc.detail, detected_at)
    except UndecodableEvent as exc:
        return _invalid(frame, UNDECODABLE_EVENT, str(exc), detected_at)
    except Exception as exc:  # last resort: a bad frame must never stop the job
        return _invalid(frame, INTERNAL_ERROR, f"{type(exc).__name__}: {exc}", detected_at)


def _invalid(frame: Any, reason: str, detail: str, detected_at: float) -> InvalidFrame:
    """Build the InvalidFrame without any chance of raising, whatever `frame` is."""
    try:
        payload = _payload_text(frame.payload)
    except Exception:
        payload = ""
    try:
        arrived_at = float(frame.arrived_at)
    except Exception:
        arrived_at = detected_at
    if len(detail) > _MAX_DETAIL_CHARS:
        detail = detail[: _MAX_DETAIL_CHARS - 3] + "..."
    return InvalidFrame(reason=reason, detail=detail, payload=payload, arrived_at=arrived_at)


def _payload_text(payload: Any) -> str:
    """The frame as text (bytes decoded with replacement), cut to `MAX_PAYLOAD_BYTES` of UTF-8."""
    if isinstance(payload, (bytes, bytearray, memoryview)):
        text = bytes(payload[:MAX_PAYLOAD_BYTES]).decode("utf-8", "replace")
        if len(text) <= MAX_PAYLOAD_BYTES // 3:
            return text  # U+FFFD, the widest character here, is 3 bytes
    elif isinstance(payload, str):
        text = payload
        if text.isascii():
            return text[:MAX_PAYLOAD_BYTES]
    else:
        record_line = getattr(payload, "record_line", None)
        if record_line is None:
            return f"<{type(payload).__name__}>"
        # A binary source's ready-made transaction: kept in its recording format, so the
        # dead letter can be replayed like any other.
        text = record_line().decode("utf-8", "replace")
    # Lone surrogates (possible in a str payload) become "?": the text must encode as UTF-8,
    # or writing the dead-letter line would fail. "ignore" then only drops a character the cut
    # split in two.
    encoded = text.encode("utf-8", "replace")
    return encoded[:MAX_PAYLOAD_BYTES].decode("utf-8", "ignore")
