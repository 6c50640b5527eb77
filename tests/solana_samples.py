"""Real Solana samples for tests: loading them, and converting them between frame formats.

The samples in tests/fixtures/ are verbatim captures of mainnet data (each with its
``.source.txt``). A ``logsNotification`` carries ``value.logs``, which equal ``meta.logMessages``
of the same transaction, so a getTransaction, Helius or blockSubscribe sample converts into a
logsNotification without loss; the ``converted_*`` fixtures were written by the functions below
(tests/operators/test_decode_samples.py checks they still agree).
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import base58
import orjson

from domain.models import RawFrame
from solwire import frames

FIXTURES = Path(__file__).parent / "fixtures"

#: When the test frames "arrived" and were "detected" (any fixed epoch seconds will do).
ARRIVED_AT = 1_785_328_600.0
DETECTED_AT = 1_785_328_600.5

#: The slot chosen for the converted CreateV2 sample (a blockSubscribe entry carries none; the
#: event's timestamp, 1785328607, is late July 2026).
CREATEV2_SLOT = 430_000_000


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def fixture_json(name: str) -> Any:
    return orjson.loads(fixture_bytes(name))


def fixture_lines(name: str) -> list[bytes]:
    """The non-blank lines of a .jsonl fixture, each one frame."""
    return [line for line in fixture_bytes(name).splitlines() if line.strip()]


def frame(payload: bytes | str | Any, arrived_at: float = ARRIVED_AT) -> RawFrame:
    return RawFrame(payload=payload, arrived_at=arrived_at)


def first_signature(base64_transaction: str) -> str:
    """The first signature of a wire-format transaction, base58.

    The wire format starts with a compact-u16 signature count (7 bits per byte, high bit set
    when another byte follows), then the 64-byte signatures.
    """
    raw = base64.b64decode(base64_transaction)
    count = shift = offset = 0
    while True:
        byte = raw[offset]
        offset += 1
        count |= (byte & 0x7F) << shift
        if not byte & 0x80:
            break
        shift += 7
    if count < 1:
        raise ValueError("transaction has no signature")
    return base58.b58encode(raw[offset : offset + 64]).decode()


def logs_notification(
    signature: Any,
    logs: Any,
    slot: Any = 1,
    err: Any = None,
    subscription: int = 4242,
) -> bytes:
    """A JSON-RPC logsNotification frame, in Agave's key order (any values, for garbage too)."""
    return frames.logs_notification(
        slot=slot, signature=signature, err=err, logs=logs, subscription=subscription
    )


def blocksubscribe_entry_to_logs_notification(entry: dict[str, Any], slot: int) -> bytes:
    """One blockSubscribe transaction entry (base64 transaction + meta) as a logsNotification."""
    signature = first_signature(entry["transaction"][0])
    meta = entry["meta"]
    return logs_notification(signature, meta["logMessages"], slot, meta["err"])


def helius_to_logs_notification(notification: dict[str, Any]) -> bytes:
    """A Helius transactionNotification as the logsNotification of the same transaction."""
    result = notification["params"]["result"]
    meta = result["transaction"]["meta"]
    return logs_notification(result["signature"], meta["logMessages"], result["slot"], meta["err"])


def get_transaction_to_logs_notification(response: dict[str, Any]) -> bytes:
    """A getTransaction response (with or without envelope) as a logsNotification."""
    result = response.get("result", response)
    meta = result["meta"]
    signature = result["transaction"]["signatures"][0]
    return logs_notification(signature, meta["logMessages"], result["slot"], meta["err"])


#: The converted fixtures: file name -> how to make it from the verbatim samples.
def converted_fixtures() -> dict[str, bytes]:
    return {
        "converted_pumpfun_createv2_logsNotification.json": (
            blocksubscribe_entry_to_logs_notification(
                fixture_json("pumpfun_createv2_blockSubscribe_txentry_2026.json"), CREATEV2_SLOT
            )
        ),
        "converted_pumpfun_create_legacy_logsNotification.json": (
            get_transaction_to_logs_notification(
                fixture_json("pumpfun_create_legacy_getTransaction_2024-08.json")
            )
        ),
        "converted_raydium_initialize2_logsNotification.json": helius_to_logs_notification(
            orjson.loads(
                fixture_lines("helius_transactionNotification_raydium_initialize2_one.jsonl")[0]
            )
        ),
    }


if __name__ == "__main__":  # regenerate the converted fixtures
    for name, payload in converted_fixtures().items():
        (FIXTURES / name).write_bytes(payload + b"\n")


# --- building logs and events for synthetic cases ------------------------------------------------

PUMP_FUN = "6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P"
RAYDIUM_AMM_V4 = "675kPX9MHTjS2zt1qfr1NYHuzeLXfQM9H24wFSUt1Mp8"
PUMP_SWAP = "pAMMBay6oceH9fJKBRHGP5D4bD4sWpmSwMn52FMfXEA"
TOKEN_PROGRAM = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"
ATA_PROGRAM = "ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL"
SYSTEM_PROGRAM = "11111111111111111111111111111111"
ROUTER = "b1oomGGqPKGD6errbyfbVMBuzSC8WtAAYo8MwNafWW1"
WRAPPED_SOL = "So11111111111111111111111111111111111111112"

CREATE_EVENT = bytes.fromhex("1b72a94ddeeb6376")
TRADE_EVENT = bytes.fromhex("bddb7fd34ee661ee")
CREATE_POOL_EVENT = bytes.fromhex("b1310cd2a076a774")  # sha256("event:CreatePoolEvent")[:8]
EVENT_CPI_TAG = bytes.fromhex("e445a52e51cb9a1d")


def pubkey(n: int) -> str:
    """A made-up but well-formed public key."""
    return base58.b58encode(bytes([n]) * 32).decode()


def raw_pubkey(key: str) -> bytes:
    return base58.b58decode(key)


def borsh_string(text: str) -> bytes:
    raw = text.encode()
    return len(raw).to_bytes(4, "little") + raw


def create_event(
    name: str = "Moon Cat",
    symbol: str = "MCAT",
    uri: str = "https://ipfs.io/ipfs/QmTest",
    mint: str = pubkey(1),
    bonding_curve: str = pubkey(2),
    user: str = pubkey(3),
    creator: str | None = None,
) -> bytes:
    """A pump.fun CreateEvent: the 2024 layout, plus `creator` and the 2026 tail when given."""
    data = CREATE_EVENT + borsh_string(name) + borsh_string(symbol) + borsh_string(uri)
    data += raw_pubkey(mint) + raw_pubkey(bonding_curve) + raw_pubkey(user)
    if creator is not None:
        data += raw_pubkey(creator)
        data += (1_785_328_607).to_bytes(8, "little", signed=True)
        data += b"".join(n.to_bytes(8, "little") for n in (10**15, 3 * 10**10, 8 * 10**14, 10**15))
        data += raw_pubkey("TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb") + b"\0\0"
        data += bytes(32) + (3 * 10**10).to_bytes(8, "little")
    return data


def trade_event(
    mint: str = pubkey(1), lamports: int = 500_000_000, is_buy: bool = True, user: str = pubkey(3)
) -> bytes:
    """A pump.fun TradeEvent: mint, sol_amount, token_amount, is_buy, user, timestamp."""
    return (
        TRADE_EVENT
        + raw_pubkey(mint)
        + lamports.to_bytes(8, "little")
        + (10**12).to_bytes(8, "little")
        + bytes([int(is_buy)])
        + raw_pubkey(user)
        + (1_785_328_607).to_bytes(8, "little", signed=True)
    )


def create_pool_event(
    creator: str = pubkey(7), base_mint: str = pubkey(8), quote_mint: str = WRAPPED_SOL
) -> bytes:
    """The start of a PumpSwap CreatePoolEvent: timestamp, index, creator, base, quote, ..."""
    return (
        CREATE_POOL_EVENT
        + (1_785_328_607).to_bytes(8, "little", signed=True)
        + (0).to_bytes(2, "little")
        + raw_pubkey(creator)
        + raw_pubkey(base_mint)
        + raw_pubkey(quote_mint)
        + bytes([6, 9])
        + (10**15).to_bytes(8, "little")
        + (85 * 10**9).to_bytes(8, "little")
    )


def data_line(data: bytes) -> str:
    return "Program data: " + base64.b64encode(data).decode()


def invoke(program: str, depth: int = 1) -> str:
    return f"Program {program} invoke [{depth}]"


def success(program: str) -> str:
    return f"Program {program} success"


def consumed(program: str, units: int = 12345) -> str:
    return f"Program {program} consumed {units} of 200000 compute units"


def pump_create_logs(
    event: bytes | None = None,
    trade: bytes | None = None,
    instruction: str = "Create",
    depth: int = 1,
) -> list[str]:
    """Logs of a pump.fun create (+ the creator's buy), shaped like the real samples."""
    event = create_event() if event is None else event
    logs = [
        invoke(PUMP_FUN, depth),
        f"Program log: Instruction: {instruction}",
        invoke(SYSTEM_PROGRAM, depth + 1),
        success(SYSTEM_PROGRAM),
        invoke(TOKEN_PROGRAM, depth + 1),
        "Program log: Instruction: InitializeMint2",
        consumed(TOKEN_PROGRAM),
        success(TOKEN_PROGRAM),
        invoke(ATA_PROGRAM, depth + 1),
        "Program log: Create",
        success(ATA_PROGRAM),
        data_line(event),
        invoke(PUMP_FUN, depth + 1),
        consumed(PUMP_FUN, 2003),
        success(PUMP_FUN),
        consumed(PUMP_FUN),
        success(PUMP_FUN),
    ]
    if trade is not None:
        logs += [
            invoke(PUMP_FUN, depth),
            "Program log: Instruction: Buy",
            invoke(SYSTEM_PROGRAM, depth + 1),
            success(SYSTEM_PROGRAM),
            data_line(trade),
            consumed(PUMP_FUN),
            success(PUMP_FUN),
        ]
    return logs
