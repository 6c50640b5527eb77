"""A file of real-format frames for the throughput benchmark.

The real mainnet samples of the test fixtures as `logsNotification` frames, with fresh signatures
(and, for launches, fresh mints written into their CreateEvent and TradeEvent), about 3 KB each,
about 1 % launches.
"""

from __future__ import annotations

import base64
import random
from collections.abc import Iterator
from pathlib import Path

import orjson

from solwire.base58 import b58encode
from solwire.frames import logs_notification
from solwire.logs import DATA_PREFIX, program_data_line
from solwire.programs import CREATE_EVENT, TRADE_EVENT

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"


def _logs_of(name: str) -> list[str]:
    data = orjson.loads((FIXTURES / name).read_bytes())
    result = data.get("result", data)
    return list(result["meta"]["logMessages"])


def _helius_logs(name: str) -> list[list[str]]:
    lines = (FIXTURES / name).read_bytes().splitlines()
    docs = [orjson.loads(line) for line in lines if line.strip()]
    return [d["params"]["result"]["transaction"]["meta"]["logMessages"] for d in docs]


def _launch_logs(name: str) -> list[str]:
    data = orjson.loads((FIXTURES / name).read_bytes())
    return list(data["params"]["result"]["value"]["logs"])


#: Non-launch logs (real pump.fun trades and Raydium swaps) and launch logs (real creates).
TRADES = [
    _logs_of("pumpfun_buy_and_sell_getTransaction_2024-08.json"),
    _logs_of("pumpfun_cpi_buy_via_router_blockSubscribe_txentry_2025-05.json"),
    *_helius_logs("helius_transactionNotification_raydium_swaps_two.jsonl"),
]
LAUNCHES = [
    _launch_logs("converted_pumpfun_createv2_logsNotification.json"),
    _launch_logs("converted_pumpfun_create_legacy_logsNotification.json"),
]


def _with_fresh_mint(logs: list[str], rng: random.Random) -> tuple[list[str], str]:
    """The launch's logs with a new mint in its CreateEvent and in its TradeEvents."""
    mint = rng.randbytes(32)
    old_mint = None
    out = []
    for line in logs:
        if line.startswith(DATA_PREFIX):
            raw = bytearray(base64.b64decode(line[len(DATA_PREFIX) :]))
            if raw[:8] == CREATE_EVENT:
                at = 8
                for _ in range(3):  # name, symbol, uri
                    at += 4 + int.from_bytes(raw[at : at + 4], "little")
                old_mint = bytes(raw[at : at + 32])
                raw[at : at + 32] = mint
            elif raw[:8] == TRADE_EVENT and bytes(raw[8:40]) == old_mint:
                raw[8:40] = mint
            line = program_data_line(bytes(raw))
        out.append(line)
    return out, b58encode(mint)


def frames(count: int, launch_share: float = 0.01, seed: int = 1) -> Iterator[bytes]:
    """`count` logsNotification frames; launches get fresh mints, every frame a fresh signature."""
    rng = random.Random(seed)
    slot = 300_000_000
    for n in range(count):
        launch = rng.random() < launch_share
        if launch:
            logs, _mint = _with_fresh_mint(rng.choice(LAUNCHES), rng)
        else:
            logs = rng.choice(TRADES)
        slot += n % 7 == 0
        yield logs_notification(
            slot=slot,
            signature=b58encode(rng.randbytes(64)),
            err=None,
            logs=logs,
            subscription=4242,
        )


def write_frames(path: Path, count: int, launch_share: float = 0.01, seed: int = 1) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        for frame in frames(count, launch_share, seed):
            f.write(frame + b"\n")
    return path
