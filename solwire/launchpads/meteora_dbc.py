"""meteora_dbc: STUB, to be written (see ../shared/docs/launchpads.md)."""

from __future__ import annotations

from solwire.launchpads._base import (
    CREATE,
    FoundLaunch,
    InstructionContext,
    Launchpad,
    LogLaunch,
)

NAME = "meteora_dbc"
PROGRAM = "dbcij3LWUppWqq96dh6gJWwBifmcGfLSB5D4DuSMaqN"


def decode_instruction(context: InstructionContext) -> FoundLaunch | None:
    return None


def decode_logs(launch: LogLaunch) -> FoundLaunch | None:
    return None


LAUNCHPAD = Launchpad(
    name=NAME,
    program=PROGRAM,
    event=CREATE,
    launch_lines=frozenset(),
    decode_instruction=decode_instruction,
    decode_logs=decode_logs,
)
