"""raydium_cpmm: STUB, to be written (see ../shared/docs/launchpads.md)."""

from __future__ import annotations

from solwire.launchpads._base import (
    POOL,
    FoundLaunch,
    InstructionContext,
    Launchpad,
    LogLaunch,
)

NAME = "raydium_cpmm"
PROGRAM = "CPMMoo8L3F4NbTegBCKVNunggL7H1ZpdTHKxQB5qKP1C"


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
