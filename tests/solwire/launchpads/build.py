"""Building transaction frames from instruction lists, for launchpad tests without a real capture.

`get_transaction` writes a ``getTransaction`` result in the ``json`` encoding (what a node
returns) from a signature, slot, err, logs and instructions in execution order (inner ones after
the instruction that invoked them, with their depth): the account keys are worked out from the
instructions (static keys first, then the keys the caller puts in lookup tables: writable, then
readonly), every instruction account becomes an index into them, and the inner instructions are
grouped under their top-level instruction with their ``stackHeight``. `frames` then renders that
result in every frame format of `tests.real_txs` (bare, in an envelope, jsonParsed, base64 wire,
Helius transactionNotification, logsNotification).

Broken frames: an account given as an int (`Ix`) is written as that raw index (past the keys, say),
and ``drop_lookup_tables=True`` leaves ``meta.loadedAddresses`` out while the indexes still point
into it (a lookup table the frame did not resolve). Only the ``json`` formats can carry those
(`JSON_FORMATS`): the jsonParsed and base64 writers need every index to resolve.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any

from domain.models import InvalidFrame, Launch, RawFrame
from operators.decode import ALL_LAUNCHPADS, decode_frame
from solwire.base58 import b58decode, b58encode
from solwire.detect import Detector
from solwire.launchpads._base import FoundLaunch, SyntheticLaunch, TokenDraw
from solwire.logs import Invoke, render_logs
from solwire.programs import EVENT_CPI_TAG
from solwire.quotes import WRAPPED_SOL
from solwire.txmodel import Instruction
from tests.real_txs import FRAME_FORMATS, FULL_FORMATS

_FOUND_FIELDS = tuple(field.name for field in fields(FoundLaunch))

__all__ = [
    "FRAME_FORMATS",
    "FULL_FORMATS",
    "JSON_FORMATS",
    "Ix",
    "cpi_event",
    "decode",
    "decode_all",
    "found",
    "frames",
    "get_transaction",
    "key",
    "logs_of",
    "moved_result",
    "replaced",
    "signature",
    "synthetic_result",
    "token_draw",
    "top_level",
]

#: Formats that write the ``json`` message as it is, so broken indexes survive into the frame.
JSON_FORMATS = ("getTransaction", "getTransaction-envelope", "transactionNotification")


@dataclass(frozen=True, slots=True)
class Ix:
    """An instruction for the builder: like `Instruction`, but an account may be a raw index."""

    program: str
    accounts: Sequence[str | int]
    data: bytes
    depth: int = 1

    @classmethod
    def of(cls, instruction: Instruction) -> Ix:
        return cls(
            instruction.program,
            tuple(instruction.accounts),
            instruction.data or b"",
            instruction.depth,
        )


def signature(name: str) -> str:
    """A base58 64-byte signature derived from `name` (stable across runs)."""
    digest = hashlib.sha512(name.encode()).digest()
    return b58encode(digest)


def logs_of(invokes: Iterable[Invoke], compute_limit: int = 1_400_000) -> list[str]:
    return render_logs(invokes, compute_limit)


def get_transaction(
    *,
    signature: str,
    slot: int,
    err: Any,
    logs: list[str],
    instructions: Sequence[Instruction | Ix],
    loaded_writable: Sequence[str] = (),
    loaded_readonly: Sequence[str] = (),
    drop_lookup_tables: bool = False,
) -> dict[str, Any]:
    """A ``getTransaction`` result (``json`` encoding, version 0), without envelope."""
    ixs = [ix if isinstance(ix, Ix) else Ix.of(ix) for ix in instructions]
    loaded = set(loaded_writable) | set(loaded_readonly)
    static: list[str] = []
    for ix in ixs:
        for key in (*ix.accounts, ix.program):
            if isinstance(key, str) and key and key not in loaded and key not in static:
                static.append(key)
    keys = [*static, *loaded_writable, *loaded_readonly]
    index = {key: i for i, key in reversed(list(enumerate(keys)))}

    def compiled(ix: Ix) -> dict[str, Any]:
        out: dict[str, Any] = {
            "programIdIndex": index[ix.program],
            "accounts": [a if isinstance(a, int) else index[a] for a in ix.accounts],
            "data": b58encode(ix.data),
            "stackHeight": ix.depth,
        }
        return out

    top: list[dict[str, Any]] = []
    inner: list[dict[str, Any]] = []
    for ix in ixs:
        if ix.depth <= 1:
            top.append(compiled(ix))
        else:
            if not top:
                raise ValueError("an inner instruction needs a top-level one before it")
            position = len(top) - 1
            if not inner or inner[-1]["index"] != position:
                inner.append({"index": position, "instructions": []})
            inner[-1]["instructions"].append(compiled(ix))
    meta: dict[str, Any] = {
        "err": err,
        "status": {"Ok": None} if err is None else {"Err": err},
        "fee": 5000,
        "preBalances": [0] * len(keys),
        "postBalances": [0] * len(keys),
        "innerInstructions": inner,
        "logMessages": logs,
        "preTokenBalances": [],
        "postTokenBalances": [],
        "rewards": [],
        "computeUnitsConsumed": 120_000,
    }
    if not drop_lookup_tables:
        meta["loadedAddresses"] = {
            "writable": list(loaded_writable),
            "readonly": list(loaded_readonly),
        }
    lookups = []
    if loaded_writable or loaded_readonly:
        lookups.append(
            {
                "accountKey": b58encode(hashlib.sha256(b"lookup table").digest()),
                "writableIndexes": list(range(len(loaded_writable))),
                "readonlyIndexes": list(
                    range(len(loaded_writable), len(loaded_writable) + len(loaded_readonly))
                ),
            }
        )
    return {
        "slot": slot,
        "blockTime": 1_800_000_000,
        "version": 0,
        "meta": meta,
        "transaction": {
            "signatures": [signature],
            "message": {
                "accountKeys": static,
                "header": {
                    "numRequiredSignatures": 1,
                    "numReadonlySignedAccounts": 0,
                    "numReadonlyUnsignedAccounts": 0,
                },
                "instructions": top,
                "recentBlockhash": b58encode(hashlib.sha256(signature.encode()).digest()),
                "addressTableLookups": lookups,
            },
        },
    }


def frames(result: dict[str, Any], formats: Iterable[str] = FRAME_FORMATS) -> dict[str, bytes]:
    """`result` in each of `formats` (default: every format of `tests.real_txs`)."""
    return {name: FRAME_FORMATS[name](result) for name in formats}


# --- decoding and synthetic launches -----------------------------------------------------------


def decode(payload: bytes, detector: Detector = ALL_LAUNCHPADS) -> Launch | InvalidFrame | None:
    """One frame through the decode step, as the job runs it."""
    return decode_frame(RawFrame(payload, 1_800_000_000.0, "test"), 1_800_000_000.5, detector)


def found(decoded: Launch | InvalidFrame | None) -> FoundLaunch | None:
    """What detection found, from the decode step's Launch (None stays None; an InvalidFrame is
    a test failure)."""
    if decoded is None:
        return None
    assert isinstance(decoded, Launch), decoded
    return FoundLaunch(**{name: getattr(decoded, name) for name in _FOUND_FIELDS})


def key(name: str) -> bytes:
    """A 32-byte key derived from `name`."""
    return hashlib.sha256(name.encode()).digest()


def token_draw(
    seed: str,
    *,
    quote_mint: bytes | str = WRAPPED_SOL,
    variation: int = 0,
    platform_config: bytes | None = None,
) -> TokenDraw:
    """A draw whose keys all derive from `seed` (every call of ``keys()`` gives a new one)."""
    counter = itertools.count()
    quote = b58decode(quote_mint) if isinstance(quote_mint, str) else quote_mint
    return TokenDraw(
        mint=key(f"{seed}/mint"),
        creator=key(f"{seed}/creator"),
        name=f"Token {seed}",
        symbol=seed[:6].upper(),
        uri=f"https://ipfs.io/ipfs/{seed}",
        quote_mint=quote,
        platform_config=platform_config,
        initial_buy_lamports=2_000_000_000,
        timestamp=1_800_000_000,
        keys=lambda: key(f"{seed}/key/{next(counter)}"),
        variation=variation,
    )


def synthetic_result(
    launch: SyntheticLaunch,
    name: str,
    *,
    err: Any = None,
    instructions: Sequence[Instruction | Ix] | None = None,
    loaded_writable: Sequence[str] = (),
    loaded_readonly: Sequence[str] = (),
    drop_lookup_tables: bool = False,
) -> dict[str, Any]:
    """The getTransaction result of a synthetic launch (its logs rendered from its invocation
    trees); `instructions` replaces its instruction list (to break it)."""
    return get_transaction(
        signature=signature(name),
        slot=400_000_000,
        err=err,
        logs=logs_of(launch.invokes),
        instructions=launch.instructions if instructions is None else instructions,
        loaded_writable=loaded_writable,
        loaded_readonly=loaded_readonly,
        drop_lookup_tables=drop_lookup_tables,
    )


def moved_result(launch: SyntheticLaunch, name: str, source: str, target: str) -> dict[str, Any]:
    """The launch as if program `target` had run it instead of `source`: instructions, accounts
    and log lines rewritten (how a discriminator collision between two programs looks)."""
    moved = [
        Ix(
            target if ix.program == source else ix.program,
            [target if account == source else account for account in ix.accounts],
            ix.data,
            ix.depth,
        )
        for ix in map(Ix.of, launch.instructions)
    ]
    result = synthetic_result(launch, name, instructions=moved)
    meta = result["meta"]
    meta["logMessages"] = [line.replace(source, target) for line in meta["logMessages"]]
    return result


_KEEP: Any = object()


def top_level(launch: SyntheticLaunch, program: str) -> Instruction:
    """The launch's own instruction: the first top-level one of `program`."""
    return next(i for i in launch.instructions if i.program == program and i.depth == 1)


def cpi_event(launch: SyntheticLaunch, program: str) -> Instruction:
    """The launch's self-CPI event instruction (data = CPI tag + event)."""
    return next(i for i in launch.instructions if i.program == program and i.depth > 1)


def replaced(
    launch: SyntheticLaunch,
    program: str,
    *,
    accounts: Sequence[str | int] = _KEEP,
    data: bytes = _KEEP,
    event: bytes | None = _KEEP,
) -> list[Ix]:
    """The launch's instructions with its own instruction's accounts / data replaced, and its
    self-CPI event replaced (bytes after the CPI tag) or dropped (None)."""
    launch_ix = top_level(launch, program)
    event_ix = next((i for i in launch.instructions if i.program == program and i.depth > 1), None)
    out: list[Ix] = []
    for ix in launch.instructions:
        built = Ix.of(ix)
        if ix is launch_ix:
            built = Ix(
                ix.program,
                built.accounts if accounts is _KEEP else accounts,
                built.data if data is _KEEP else data,
                ix.depth,
            )
        elif ix is event_ix and event is not _KEEP:
            if event is None:
                continue
            built = Ix(ix.program, built.accounts, EVENT_CPI_TAG + event, ix.depth)
        out.append(built)
    return out


def decode_all(
    result: dict[str, Any], formats: Iterable[str] = JSON_FORMATS
) -> set[FoundLaunch | None]:
    """What detection finds in `result` in each of `formats` (a set: equal results collapse)."""
    return {found(decode(payload)) for payload in frames(result, formats).values()}
