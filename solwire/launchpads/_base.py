"""What a launchpad module provides, and what detection hands it.

A launchpad module (``solwire/launchpads/<name>.py``) holds everything the sniffer knows about one
program: its id, its launch instructions (discriminators and account roles), the exact log lines
it prints for a launch, its event layouts, how to read a launch from an instruction (full frames)
and from logs alone, and an encoder the synthetic source uses to write its launches. It ends with
one ``LAUNCHPAD = Launchpad(...)``, which the registry (`solwire.launchpads`) lists.

Detection (`solwire.detect`) walks a transaction once and dispatches by PROGRAM: the instruction's
program, or the program on top of the invoke stack for a log line. A decoder is only ever shown
its own program's instructions and lines, so it can never mistake another program's
discriminator for its own (several collide: see the shared docs).

The decoders' rule: never a wrong mint. A field that cannot be read is None and is named in
`FoundLaunch.partial` (counted as ``sniffer_launch_partial_total{launchpad,field}``, the early sign
of a program upgrade). A decoder may return None (not a launch instruction) and may raise
`UndecodableEvent` when the launch is certain but its event is corrupt; anything else it raises is
a bug that the decode step counts as ``internal_error``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from solwire.logs import LOG_PREFIX, Invoke
from solwire.programs import EVENT_CPI_TAG
from solwire.txmodel import Instruction, Transaction

__all__ = [
    "CREATE",
    "POOL",
    "AnchorInstruction",
    "FoundLaunch",
    "InstructionContext",
    "Launchpad",
    "LogLaunch",
    "SyntheticLaunch",
    "TokenDraw",
    "UndecodableEvent",
    "anchor_event",
    "anchor_instruction",
]

#: The ``event`` output field: a token born on a launchpad, or a liquidity pool opened for one.
CREATE = "create"
POOL = "pool"


def anchor_instruction(snake_name: str) -> bytes:
    """An Anchor instruction discriminator: ``sha256("global:<snake_name>")[:8]``."""
    return hashlib.sha256(f"global:{snake_name}".encode()).digest()[:8]


def anchor_event(name: str) -> bytes:
    """An Anchor event discriminator: ``sha256("event:<EventName>")[:8]``."""
    return hashlib.sha256(f"event:{name}".encode()).digest()[:8]


@dataclass(frozen=True, slots=True)
class AnchorInstruction:
    """One launch instruction of an Anchor program: its name in the IDL (``snake``), the name
    its log line shows (``log_name``) and how many accounts it takes. A launchpad module
    subclasses it to add the positions of the roles that differ between its variants."""

    snake: str
    log_name: str
    accounts: int

    @property
    def discriminator(self) -> bytes:
        return anchor_instruction(self.snake)

    @property
    def line(self) -> str:
        """The exact launch line: ``Program log: Instruction: <LogName>``."""
        return f"{LOG_PREFIX}Instruction: {self.log_name}"


class UndecodableEvent(Exception):
    """Launch logs are present but the event data is corrupt (not base64)."""


@dataclass(frozen=True, slots=True)
class FoundLaunch:
    """What detection learned about one launch; fields the frame does not carry are None."""

    launchpad: str
    event: str
    mint: str | None = None
    quote_mint: str | None = None
    platform: str | None = None
    creator: str | None = None
    name: str | None = None
    symbol: str | None = None
    uri: str | None = None
    initial_buy_sol: float | None = None
    #: True when the logs were cut ("Log truncated") before everything could be read.
    truncated: bool = False
    #: Fields this kind of frame carries for this launchpad but that could not be read here.
    partial: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LogLaunch:
    """A launch line found in the logs, with what the launchpad logged around it.

    `logs` are the ``Program log:`` lines the launchpad printed in the frame of the launch line,
    the launch line first. `events` are the base64 payloads of the ``Program data:`` lines it
    printed from the launch line to the end of the logs (its later instructions too: pump.fun's
    first buy is a separate instruction), stopping at its next launch line. Decoding them is left
    to the launchpad: it knows which it wants.
    """

    line: str
    depth: int
    logs: tuple[str, ...]
    events: tuple[str, ...]
    truncated: bool
    #: For a full frame whose instructions showed no launch: the events the launchpad emitted by
    #: self-CPI anywhere in the transaction (tag removed, discriminator first), which survive a
    #: log truncation. Empty for a logs-only frame.
    cpi_events: tuple[bytes, ...] = ()


@dataclass(slots=True)
class InstructionContext:
    """One instruction of the launchpad's program, with the rest of its transaction."""

    tx: Transaction
    instructions: Sequence[Instruction]
    position: int
    #: The same launchpad's launch as the logs show it (the second witness), or None.
    witness: Callable[[], LogLaunch | None] = field(default=lambda: None)

    @property
    def instruction(self) -> Instruction:
        return self.instructions[self.position]

    def inner(self) -> list[Instruction]:
        """The instructions this one invoked, directly or through others, in order."""
        instructions = self.instructions
        depth = instructions[self.position].depth
        out: list[Instruction] = []
        for later in instructions[self.position + 1 :]:
            if later.depth <= depth:
                break
            out.append(later)
        return out

    def cpi_events(self) -> list[bytes]:
        """Events the program emitted by self-CPI inside this instruction (Anchor
        ``emit_cpi!``), each without the CPI tag: discriminator first."""
        program = self.instruction.program
        events: list[bytes] = []
        for inner in self.inner():
            if inner.program == program:
                data = inner.data
                if data is not None and data[:8] == EVENT_CPI_TAG:
                    events.append(data[8:])
        return events


# --- the synthetic source's side ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TokenDraw:
    """Everything random about one synthetic launch, drawn by the generator from its seed."""

    mint: bytes
    creator: bytes
    name: str
    symbol: str
    uri: str
    quote_mint: bytes
    #: The platform / config account that identifies a front end (LaunchLab, DBC), or None.
    platform_config: bytes | None
    initial_buy_lamports: int
    timestamp: int
    #: 32-byte keys for every other account the launch touches (pool, vaults, ...), in order.
    keys: Callable[[], bytes]
    #: A number for small variations (compute units, amounts).
    variation: int = 0


@dataclass(frozen=True, slots=True)
class SyntheticLaunch:
    """A launch as a launchpad's encoder writes it.

    `invokes`: the top-level instructions of its transaction as invocation trees (rendered into
    log lines by `solwire.logs.render_logs`), the launch among them. `instructions`: the same
    transaction's instructions in execution order with their depth, inner ones (a self-CPI
    event, say) included, for the frame formats that carry instructions. `from_logs` /
    `from_instruction`: what a correct decoder reports from a logs-only frame / from a full one.
    """

    invokes: tuple[Invoke, ...]
    instructions: tuple[Instruction, ...]
    from_logs: FoundLaunch
    from_instruction: FoundLaunch


@dataclass(frozen=True)
class Launchpad:
    """One launchpad program, as its module describes it (see the module docstring)."""

    name: str
    program: str
    event: str
    #: Exact ``Program log:`` lines that mark a launch inside this program's own invoke frame.
    launch_lines: frozenset[str]
    decode_instruction: Callable[[InstructionContext], FoundLaunch | None]
    decode_logs: Callable[[LogLaunch], FoundLaunch | None]
    #: Lines STARTING with one of these also mark a launch (Raydium v4 prints its arguments).
    launch_prefixes: tuple[str, ...] = ()
    synthetic: Callable[[TokenDraw], SyntheticLaunch] | None = None

    def is_launch_line(self, line: str) -> bool:
        return line in self.launch_lines or (
            bool(self.launch_prefixes) and line.startswith(self.launch_prefixes)
        )

    @property
    def markers(self) -> tuple[str, ...]:
        """Substrings of the joined log text without which no launch line of this launchpad is
        there (`solwire.detect` merges those of every launchpad into a few short ones)."""
        exact = tuple(line[len(LOG_PREFIX) :] for line in sorted(self.launch_lines))
        prefixed = tuple(prefix[len(LOG_PREFIX) :] for prefix in self.launch_prefixes)
        return exact + prefixed
