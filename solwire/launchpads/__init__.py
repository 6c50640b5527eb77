"""The launchpad registry: every launchpad the sniffer detects, one module each.

Adding a launchpad is one new module beside these (its program, instructions, log lines, events,
decoders and synthetic encoder, ending in ``LAUNCHPAD = Launchpad(...)``), its fixtures and tests,
and one line in `REGISTRY` below. Nothing else names a launchpad: detection, the ``launchpads``
setting, the websocket subscriptions, the synthetic source and the metrics all read this tuple.
"""

from __future__ import annotations

from solwire.launchpads import (
    meteora_damm_v2,
    meteora_dbc,
    moonshot,
    pump_fun,
    pump_swap,
    raydium_amm_v4,
    raydium_cpmm,
    raydium_launchlab,
)
from solwire.launchpads._base import CREATE, POOL, FoundLaunch, Launchpad, UndecodableEvent

__all__ = [
    "BY_NAME",
    "BY_PROGRAM",
    "CREATE",
    "NAMES",
    "POOL",
    "REGISTRY",
    "FoundLaunch",
    "Launchpad",
    "UndecodableEvent",
]

#: Every launchpad, in the order of the contract's table.
REGISTRY: tuple[Launchpad, ...] = (
    pump_fun.LAUNCHPAD,
    pump_swap.LAUNCHPAD,
    raydium_launchlab.LAUNCHPAD,
    meteora_dbc.LAUNCHPAD,
    moonshot.LAUNCHPAD,
    raydium_amm_v4.LAUNCHPAD,
    raydium_cpmm.LAUNCHPAD,
    meteora_damm_v2.LAUNCHPAD,
)

NAMES: tuple[str, ...] = tuple(lp.name for lp in REGISTRY)
BY_NAME: dict[str, Launchpad] = {lp.name: lp for lp in REGISTRY}
BY_PROGRAM: dict[str, Launchpad] = {lp.program: lp for lp in REGISTRY}
