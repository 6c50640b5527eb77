"""The on-chain names the sniffer knows: program ids, event discriminators, fixed amounts.

Mainnet values. The decoder matches launches against them and the synthetic generator writes them
into its frames, so each is defined here once.
"""

from __future__ import annotations

import hashlib

__all__ = [
    "ASSOCIATED_TOKEN_PROGRAM",
    "BUILTIN_PROGRAMS",
    "COMPUTE_BUDGET_PROGRAM",
    "CREATE_EVENT",
    "CREATE_POOL_EVENT",
    "EVENT_CPI_TAG",
    "LAMPORTS_PER_SOL",
    "LAUNCHPADS",
    "MEMO_PROGRAM",
    "METAPLEX_METADATA_PROGRAM",
    "OPENBOOK_PROGRAM",
    "PUMP_FEE_PROGRAM",
    "PUMP_FUN",
    "PUMP_FUN_PROGRAM",
    "PUMP_SWAP",
    "PUMP_SWAP_PROGRAM",
    "RAYDIUM_AMM_V4",
    "RAYDIUM_AMM_V4_PROGRAM",
    "RAYDIUM_ROUTE_PROGRAM",
    "SYSTEM_PROGRAM",
    "TOKEN_2022_PROGRAM",
    "TOKEN_PROGRAM",
    "TRADE_EVENT",
    "WRAPPED_SOL",
]

#: The launchpads the detector knows, as they appear in the ``launchpad`` output field.
PUMP_FUN = "pump_fun"
RAYDIUM_AMM_V4 = "raydium_amm_v4"
PUMP_SWAP = "pump_swap"
LAUNCHPADS = (PUMP_FUN, RAYDIUM_AMM_V4, PUMP_SWAP)

# --- program ids ---------------------------------------------------------------------------

PUMP_FUN_PROGRAM = "6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P"
RAYDIUM_AMM_V4_PROGRAM = "675kPX9MHTjS2zt1qfr1NYHuzeLXfQM9H24wFSUt1Mp8"
PUMP_SWAP_PROGRAM = "pAMMBay6oceH9fJKBRHGP5D4bD4sWpmSwMn52FMfXEA"

PUMP_FEE_PROGRAM = "pfeeUxB6jkeY1Hxd7CsFCAjcbHA9rWtchMGdZ6VojVZ"
RAYDIUM_ROUTE_PROGRAM = "routeUGWgWzqBWFcrCfv8tritsqukccJPu3q5GPP3xS"
OPENBOOK_PROGRAM = "srmqPvymJeFKQ4zGQed1GFppgkRHL9kaELCbyksJtPX"
SYSTEM_PROGRAM = "11111111111111111111111111111111"
COMPUTE_BUDGET_PROGRAM = "ComputeBudget111111111111111111111111111111"
TOKEN_PROGRAM = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"
TOKEN_2022_PROGRAM = "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb"
ASSOCIATED_TOKEN_PROGRAM = "ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL"
METAPLEX_METADATA_PROGRAM = "metaqbxxUerdq28cj1RbAWkYQm3ybzjb6a8bt518x1s"
MEMO_PROGRAM = "MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr"
#: The wrapped-SOL mint: the quote side of most pools.
WRAPPED_SOL = "So11111111111111111111111111111111111111112"

#: Native programs: the runtime prints no ``consumed`` line for them.
BUILTIN_PROGRAMS = frozenset({SYSTEM_PROGRAM, COMPUTE_BUDGET_PROGRAM})

# --- Anchor event discriminators: sha256("event:<Name>")[:8] --------------------------------

CREATE_EVENT = bytes.fromhex("1b72a94ddeeb6376")
TRADE_EVENT = bytes.fromhex("bddb7fd34ee661ee")
CREATE_POOL_EVENT = hashlib.sha256(b"event:CreatePoolEvent").digest()[:8]
# Anchor's emit_cpi! puts an event in the data of a self-invocation, behind this tag (Anchor's
# EVENT_IX_TAG: sha256("anchor:event")[:8] as a little-endian u64). pump.fun does both: a
# "Program data:" line AND the self-CPI, which is how a full-transaction frame still has the
# event after its logs were truncated.
EVENT_CPI_TAG = bytes.fromhex("e445a52e51cb9a1d")

LAMPORTS_PER_SOL = 1_000_000_000
