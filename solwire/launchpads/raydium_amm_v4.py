"""raydium_amm_v4: STUB, to be written (see ../shared/docs/launchpads.md)."""

from __future__ import annotations

from solwire.launchpads._base import (
    POOL,
    FoundLaunch,
    InstructionContext,
    Launchpad,
    LogLaunch,
)

NAME = "raydium_amm_v4"
PROGRAM = "675kPX9MHTjS2zt1qfr1NYHuzeLXfQM9H24wFSUt1Mp8"


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
