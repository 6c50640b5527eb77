"""The synthetic chain: realistic Solana frames from a seed, with no network.

- `fakechain.generator`: the seeded choice of what frame ``g`` is (the mix of kinds, duplicates,
  serial launchers) and the pure entry points `generate` / `generate_range`;
- `fakechain.encode` and `fakechain.shapes`: the wire encoder, turning those choices into
  ``logsNotification`` frames with `solwire`; `fakechain.names`: token names and buy sizes;
- `fakechain.truth`: the frame kinds and each frame's ground truth;
- `fakechain.source`: `SyntheticSource`, the Bytewax source the job runs by default.
"""

from fakechain.encode import BASE_SLOT, BASE_UNIX_TIME, FRAMES_PER_SLOT, SERIAL_SHARE
from fakechain.generator import (
    DEFAULT_LAUNCH_RATIO,
    DUPLICATE_LOOKBACK,
    DUPLICATE_SHARE,
    FAILED_LAUNCH_SHARE,
    FAILED_PUMP_SHARE,
    LAUNCH_MIX,
    PUMP_TRADE_SHARE,
    SERIAL_LAUNCHERS,
    SyntheticGenerator,
    frames_of_partition,
    generate,
    generate_range,
    generator_for,
)
from fakechain.source import DEFAULT_BATCH_SIZE, SyntheticPartition, SyntheticSource
from fakechain.truth import (
    DUPLICATE,
    FAILED_LAUNCH,
    KINDS,
    LAUNCH_KINDS,
    PUMP_CREATE,
    PUMP_CREATE_V2,
    PUMP_TRADE,
    RAYDIUM_INIT,
    RAYDIUM_SWAP,
    TRUNCATED_LAUNCH,
    LaunchTruth,
    SyntheticTx,
)

__all__ = [
    "BASE_SLOT",
    "BASE_UNIX_TIME",
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_LAUNCH_RATIO",
    "DUPLICATE",
    "DUPLICATE_LOOKBACK",
    "DUPLICATE_SHARE",
    "FAILED_LAUNCH",
    "FAILED_LAUNCH_SHARE",
    "FAILED_PUMP_SHARE",
    "FRAMES_PER_SLOT",
    "KINDS",
    "LAUNCH_KINDS",
    "LAUNCH_MIX",
    "PUMP_CREATE",
    "PUMP_CREATE_V2",
    "PUMP_TRADE",
    "PUMP_TRADE_SHARE",
    "RAYDIUM_INIT",
    "RAYDIUM_SWAP",
    "SERIAL_LAUNCHERS",
    "SERIAL_SHARE",
    "TRUNCATED_LAUNCH",
    "LaunchTruth",
    "SyntheticGenerator",
    "SyntheticPartition",
    "SyntheticSource",
    "SyntheticTx",
    "frames_of_partition",
    "generate",
    "generate_range",
    "generator_for",
]
