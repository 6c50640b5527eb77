"""meteora_damm_v2: STUB, to be written (see ../shared/docs/launchpads.md)."""

from __future__ import annotations

from solwire.launchpads._base import (
    POOL,
    FoundLaunch,
    InstructionContext,
    Launchpad,
    LogLaunch,
)

NAME = "meteora_damm_v2"
PROGRAM = "cpamdpZCGKUy5JxQXB4dcpGPiikHawvSWAd6mEn1sGG"


def decode_instruction(context: InstructionContext) -> FoundLaunch | None:
    return None


def decode_logs(launch: LogLaunch) -> FoundLaunch | None:
    return None


LAUNCHPAD = Launchpad(
    name=NAME,
    program=PROGRAM,
    event=POOL,
    launch_lines=frozenset(),
    decode_instruction=decode_instruction,
    decode_logs=decode_logs,
)
