"""Launch or not, before the full decoder: the hot path of a logs subscription.

Nearly every frame of a ``logsSubscribe`` stream is a well-formed ``logsNotification`` holding no
launch, and what the full decoder does to say so (parse into dicts, join the logs, search them for
markers, compare each hit's line) costs more than the parse itself. `Prefilter.sift` takes a
chunk of raw payloads and returns the ones detection must still see, with the `Transaction` read
from each where it was read here (a launch's logs: detection walks them without parsing the
frame again); every other one is, for certain, a valid ``logsNotification`` that
`operators.decode.decode_frame` would return None for (ignored), and the caller counts it so.

Sound by construction, frame by frame:

- valid: a typed msgspec decoder reads the frame with every field the notification has typed and
  no other field allowed (nothing is skipped unread, so nothing msgspec skips leniently, such as
  a number too large for a float, can hide there): signature a string of 1-128 characters, slot
  an integer >= 0, ``err`` present, ``logs`` a list of strings. That is what the full reader's fast
  path checks, and msgspec rejects whatever orjson rejects (malformed JSON, invalid UTF-8, control
  characters, lone surrogates). Anything it does not accept goes to the full decoder, which says
  exactly what is wrong (the invalid frame keeps its reason).
- no launch: a launch in a logs-only frame needs a log line that IS one of the detector's launch
  lines, or starts with one of its launch prefixes (`solwire.detect.find_in_logs`). The decoded
  lines are looked up in the set of exact lines (a hash each: cheaper than searching the text
  for markers, whose near misses, such as the token program's "Instruction: InitializeAccount3",
  are in most swaps), and the joined lines are searched for each prefix (one, Raydium AMM v4's);
  a frame with a hit goes on to detection.
- a failed transaction (``err`` not null) is ignored whatever its logs say; its ``err`` is checked
  with orjson (small, and the one value msgspec only skips over).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Annotated, Literal

import msgspec
import orjson

from solwire.frames import MAX_SIGNATURE_CHARS
from solwire.txmodel import Transaction

__all__ = ["Prefilter"]

#: msgspec's integer bounds are 64-bit; orjson keeps such integers exact too.
_INT64_MAX = 2**63 - 1
#: Longest ``err`` checked here: orjson limits nesting to 1024 levels in the whole document, so
#: the err of a document it accepts nests at most that deep; a longer one takes the full path.
_MAX_ERR_BYTES = 1024


class _Value(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    signature: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_SIGNATURE_CHARS)]
    err: msgspec.Raw
    logs: list[str]


class _Context(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    slot: Annotated[int, msgspec.Meta(ge=0, le=_INT64_MAX)]


class _Result(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    context: _Context
    value: _Value


class _Params(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    result: _Result
    subscription: Annotated[int, msgspec.Meta(ge=-_INT64_MAX, le=_INT64_MAX)] = 0


class _Notification(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    method: Literal["logsNotification"]
    params: _Params
    jsonrpc: str = "2.0"


_NULL = msgspec.Raw(b"null")


class Prefilter:
    """Dismisses the valid logsNotifications that hold none of the given launch lines."""

    def __init__(self, launch_lines: Iterable[str], launch_prefixes: Iterable[str]) -> None:
        self._lines = frozenset(launch_lines)
        self._prefixes = tuple(launch_prefixes)
        self._decode = msgspec.json.Decoder(_Notification).decode

    def sift(self, payloads: Sequence[object]) -> list[tuple[int, Transaction | None]]:
        """The payloads detection must see, in order: (position, the transaction read here, or
        None for a payload the full decoder must read). The others are valid logsNotifications
        that hold no launch."""
        decode = self._decode
        lines, prefixes = self._lines, self._prefixes
        keep: list[tuple[int, Transaction | None]] = []
        # Each frame is done with before the next is read: what was read is freed at once and
        # its memory reused (a chunk's worth freed together would be handed back to the system
        # and faulted in again for the next chunk: that cost more than the parse).
        for position, payload in enumerate(payloads):
            if type(payload) is not bytes:
                keep.append((position, None))
                continue
            try:
                note = decode(payload)
            except Exception:  # malformed, another shape, too deep: the full decoder says
                keep.append((position, None))
                continue
            value = note.params.result.value
            err = value.err
            if err == _NULL:
                logs = value.logs
                # A hash lookup per line (no scan); a prefix is searched in the joined lines.
                if not lines.isdisjoint(logs) or (prefixes and _any_in("\n".join(logs), prefixes)):
                    keep.append((position, _transaction(note)))
            elif not _is_json(err):
                keep.append((position, None))
            # else: a failed transaction, ignored whatever its logs say
        return keep


def _any_in(text: str, needles: tuple[str, ...]) -> bool:
    return any(map(text.__contains__, needles))


def _transaction(note: _Notification) -> Transaction:
    """What `solwire.frames.read_frame` makes of the same (successful) frame."""
    result = note.params.result
    logs = result.value.logs
    return Transaction(result.value.signature, result.context.slot, False, logs, "\n".join(logs))


def _is_json(raw: msgspec.Raw) -> bool:
    """Whether orjson, the full decoder's parser, accepts this value of the document."""
    data = bytes(raw)
    if len(data) > _MAX_ERR_BYTES:
        return False
    try:
        orjson.loads(data)
    except orjson.JSONDecodeError:
        return False
    return True
