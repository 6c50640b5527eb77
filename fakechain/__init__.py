"""The synthetic chain: realistic Solana frames from a seed, with no network.

- `fakechain.generator`: the seeded choice of what frame ``g`` is (the mix of kinds and of
  launchpads, graduations, duplicates, serial launchers) and the pure entry points `generate` /
  `generate_range`;
- `fakechain.encode` and `fakechain.shapes`: the wire encoder, turning those choices into
  ``logsNotification`` frames with `solwire`; `fakechain.templates`: each shape's frame rendered
  once, with slots for the drawn values; `fakechain.module_pool`: registry modules' launches
  encoded once per pool entry and re-keyed per launch; `fakechain.names`: token names and buy
  sizes;
- `fakechain.truth`: the frame kinds and each frame's ground truth;
- `fakechain.source`: `SyntheticSource`, the Bytewax source the job runs by default.
"""

from fakechain.generator import (
    DEFAULT_LAUNCH_RATIO,
    DEFAULT_LAUNCHPAD_MIX,
    SyntheticGenerator,
    frames_of_partition,
    generate,
    generate_range,
    generator_for,
)
from fakechain.source import SyntheticSource
from fakechain.truth import KINDS, LAUNCH_KINDS, LaunchTruth, SyntheticTx

__all__ = [
    "DEFAULT_LAUNCHPAD_MIX",
    "DEFAULT_LAUNCH_RATIO",
    "KINDS",
    "LAUNCH_KINDS",
    "LaunchTruth",
    "SyntheticGenerator",
    "SyntheticSource",
    "SyntheticTx",
    "frames_of_partition",
    "generate",
    "generate_range",
    "generator_for",
]
