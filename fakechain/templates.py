"""Frame templates: a logsNotification rendered once per shape, with slots for the drawn values.

Most of a frame does not depend on the seed's draw: which programs run, what they log, and (for
a given compute-unit limit and launchpad cost) every ``consumed`` line. The encoder renders each
shape once with `solwire.logs.render_logs`, marking the lines that carry drawn values (event data,
amounts) with placeholders, and keeps the resulting JSON as a bytes %-format: filling it is one
C call per frame instead of walking invocation trees and dumping a dict. The bytes are exactly
what `solwire.frames.logs_notification` writes for the same logs.

A template is keyed by what shapes it (the encoder's own tuple); the cache is shared by every
generator of the process (templates hold no seed) and bounded by the number of shapes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable
from typing import Any

import orjson

__all__ = ["compile_frame", "slot", "template"]

# A placeholder no log line holds: a section sign around the slot number (orjson writes it as
# two raw UTF-8 bytes, so it survives the JSON unchanged).
_MARK = "\u00a7"
_MARK_BYTES = _MARK.encode()
_SLOT = re.compile(re.escape(_MARK_BYTES) + rb"(\d+)" + re.escape(_MARK_BYTES))
_HEAD_SLOT = "\u00a7slot\u00a7"
_HEAD_SIGNATURE = "\u00a7signature\u00a7"
_HEAD_SUBSCRIPTION = "\u00a7subscription\u00a7"

_CACHE: dict[Hashable, bytes] = {}
#: Far above the shapes the encoder draws (a few thousand); a guard, not a working limit.
_CACHE_LIMIT = 50_000


def slot(number: int) -> str:
    """A placeholder inside a log line. The number is a label for the reader: the template takes
    one value per placeholder it holds, in the order they appear (a value logged twice is passed
    twice)."""
    return f"{_MARK}{number}{_MARK}"


def template(key: Hashable, build: Callable[[], tuple[list[str], Any]]) -> bytes:
    """The %-format of the frame `key` names; `build` returns its logs (placeholders in them) and
    its ``err``, and runs once per key.

    Fill it with ``fmt % (slot, signature, *slot values in line order, subscription)``: ``slot`` and
    ``subscription`` ints, the signature and every slot value ASCII bytes that need no JSON
    escaping (base58, base64, digits).
    """
    found = _CACHE.get(key)
    if found is None:
        logs, err = build()
        found = compile_frame(logs, err)
        if len(_CACHE) >= _CACHE_LIMIT:
            _CACHE.clear()
        _CACHE[key] = found
    return found


def compile_frame(logs: list[str], err: Any) -> bytes:
    """The %-format of a frame with these logs (placeholders in them) and this ``err``, not
    cached (see `template` for how to fill it)."""
    doc = {
        "jsonrpc": "2.0",
        "method": "logsNotification",
        "params": {
            "result": {
                "context": {"slot": _HEAD_SLOT},
                "value": {"signature": _HEAD_SIGNATURE, "err": err, "logs": logs},
            },
            "subscription": _HEAD_SUBSCRIPTION,
        },
    }
    raw = orjson.dumps(doc).replace(b"%", b"%%")
    raw = raw.replace(f'"{_HEAD_SLOT}"'.encode(), b"%d", 1)
    raw = raw.replace(_HEAD_SIGNATURE.encode(), b"%s", 1)
    raw = raw.replace(f'"{_HEAD_SUBSCRIPTION}"'.encode(), b"%d", 1)
    return _SLOT.sub(b"%s", raw)
