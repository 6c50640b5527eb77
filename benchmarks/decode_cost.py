"""What decoding one launch costs, per launchpad of the registry and per kind of frame.

    .venv/bin/python -m benchmarks.decode_cost            # 2,000 rounds per frame
    .venv/bin/python -m benchmarks.decode_cost --quick    # 300 rounds

Each launchpad's own synthetic encoder (``LAUNCHPAD.synthetic``) writes one launch with a fixed
draw, as a logsNotification (logs only) and as a getTransaction ``json`` result (instructions,
inner instructions, logs). `operators.decode.decode_frame` decodes each frame over and over; the
figure is microseconds per launch (median of 7 timed blocks) and, because this machine is noisy,
the ratio to `orjson.loads` of the same bytes measured in the same block: the JSON parse every
frame pays anyway. Writes benchmarks/results/decode_cost.json (decode_cost-quick.json with
--quick).
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import time
from collections.abc import Callable
from typing import Any

import orjson

from benchmarks.record import machine, results_file, write_results
from domain.models import Launch, RawFrame
from operators.decode import decode_frame
from solwire.base58 import b58decode, b58encode
from solwire.frames import logs_notification
from solwire.launchpads import REGISTRY, Launchpad
from solwire.launchpads._base import SyntheticLaunch, TokenDraw
from solwire.logs import render_logs
from solwire.programs import WRAPPED_SOL
from solwire.txmodel import Instruction

SIGNATURE = "5" * 88
SLOT = 400_000_000
_BLOCKS = 7


def _draw(launchpad: Launchpad) -> TokenDraw:
    counter = iter(range(10**6))

    def key() -> bytes:
        return hashlib.sha256(f"{launchpad.name}:{next(counter)}".encode()).digest()

    return TokenDraw(
        mint=key(),
        creator=key(),
        name="Benchmark Token",
        symbol="BENCH",
        uri="https://example.invalid/metadata/bench.json",
        quote_mint=b58decode(WRAPPED_SOL),
        platform_config=key(),
        initial_buy_lamports=1_500_000_000,
        timestamp=1_780_000_000,
        keys=key,
    )


def _get_transaction(launch: SyntheticLaunch, logs: list[str]) -> bytes:
    """A getTransaction ``json`` result holding the launch's instructions (top-level ones in the
    message, the rest as inner instructions of the one before them)."""
    keys: list[str] = []
    index: dict[str, int] = {}

    def at(key: str) -> int:
        if key not in index:
            index[key] = len(keys)
            keys.append(key)
        return index[key]

    def encoded(instruction: Instruction) -> dict[str, Any]:
        return {
            "programIdIndex": at(instruction.program),
            "accounts": [at(a) for a in instruction.accounts],
            "data": b58encode(instruction.data or b""),
            "stackHeight": instruction.depth,
        }

    top: list[dict[str, Any]] = []
    inner: list[dict[str, Any]] = []
    for instruction in launch.instructions:
        if instruction.depth == 1:
            top.append(encoded(instruction))
            inner.append({"index": len(top) - 1, "instructions": []})
        elif inner:
            inner[-1]["instructions"].append(encoded(instruction))
    result: dict[str, Any] = {
        "slot": SLOT,
        "blockTime": None,
        "meta": {
            "err": None,
            "logMessages": logs,
            "innerInstructions": [group for group in inner if group["instructions"]],
            "loadedAddresses": {"writable": [], "readonly": []},
        },
        "transaction": {
            "signatures": [SIGNATURE],
            "message": {"accountKeys": keys, "instructions": top},
        },
    }
    return orjson.dumps(result)


def frames_of(launchpad: Launchpad) -> dict[str, bytes]:
    assert launchpad.synthetic is not None
    launch = launchpad.synthetic(_draw(launchpad))
    logs = render_logs(launch.invokes, 1_400_000)
    return {
        "logsNotification": logs_notification(
            slot=SLOT, signature=SIGNATURE, err=None, logs=logs, subscription=1
        ),
        "getTransaction": _get_transaction(launch, logs),
    }


def _time(action: Callable[[], object], rounds: int) -> float:
    started = time.perf_counter()
    for _ in range(rounds):
        action()
    return (time.perf_counter() - started) / rounds


def measure(payload: bytes, rounds: int) -> dict[str, float]:
    raw = RawFrame(payload, 0.0)
    outcome = decode_frame(raw, 0.0)
    if not isinstance(outcome, Launch):
        raise SystemExit(f"benchmark frame does not decode to a launch: {outcome!r}")
    decode, parse = [], []
    for _ in range(_BLOCKS):
        parse.append(_time(lambda: orjson.loads(payload), rounds))
        decode.append(_time(lambda: decode_frame(raw, 0.0), rounds))
    us = statistics.median(decode) * 1e6
    parse_us = statistics.median(parse) * 1e6
    return {"decode_us": round(us, 2), "parse_us": round(parse_us, 2),
            "ratio_to_parse": round(us / parse_us, 2), "bytes": len(payload)}  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="300 rounds per frame, not 2,000")
    args = parser.parse_args(argv)
    rounds = 300 if args.quick else 2000
    rows: dict[str, dict[str, Any]] = {}
    print(
        f"{'launchpad':<20}{'frame':<18}{'bytes':>7}{'µs/launch':>11}{'parse µs':>10}{'ratio':>7}"
    )
    for launchpad in REGISTRY:
        if launchpad.synthetic is None:
            print(f"{launchpad.name:<20}(no synthetic encoder)")
            continue
        for kind, payload in frames_of(launchpad).items():
            row = measure(payload, rounds)
            rows[f"{launchpad.name}/{kind}"] = row
            print(f"{launchpad.name:<20}{kind:<18}{row['bytes']:>7}{row['decode_us']:>11.1f}"
                  f"{row['parse_us']:>10.1f}{row['ratio_to_parse']:>7.2f}")  # fmt: skip
    write_results(
        results_file("decode_cost", args.quick),
        {"machine": machine(), "rounds": rounds, "launches": rows},
    )


if __name__ == "__main__":
    main()
