"""Finding the launch in a transaction: one walk, dispatched by program to the launchpad modules.

Where the frame carries the transaction itself (Helius, getTransaction, Yellowstone), the launch
is found from the instruction: every instruction, at any invoke depth, whose program is a
launchpad's is shown to that launchpad's decoder, in execution order, and the first launch wins
(one transaction, at most one launch). Its logs are the second witness (pump.fun's first buy,
an event the instruction does not hold).

A logs-only frame is walked line by line with an invoke stack; a ``Program log:`` line is only
compared with the launch lines of the program on top of the stack, and must match exactly:
pump.fun's ``Instruction: CreateTokenAccount`` or the token program's ``InitializeMint2`` are not
launches, nor is a launch line some other program prints.

Cost: most frames are not launches. The joined log text is searched for the launchpads' markers
(the shortest substrings of their launch lines) before anything else, and a frame without one is
dismissed: the instruction list of a full frame is not even built. That gate is sound because
every launch instruction of the registry prints its launch line; a frame whose logs are missing
or cut ("Log truncated") skips the gate and is walked in full.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from solwire.launchpads import REGISTRY
from solwire.launchpads._base import FoundLaunch, InstructionContext, Launchpad, LogLaunch
from solwire.logs import DATA_PREFIX, LOG_PREFIX, LOG_TRUNCATED
from solwire.prefilter import Prefilter
from solwire.programs import EVENT_CPI_TAG
from solwire.txmodel import Transaction

__all__ = ["Detector", "find_in_logs", "shortest_markers"]


class Detector:
    """Finds launches of the given launchpads (default: the whole registry)."""

    def __init__(self, launchpads: Iterable[Launchpad] = REGISTRY) -> None:
        self.launchpads = tuple(launchpads)
        self._by_program = {lp.program: lp for lp in self.launchpads}
        self.markers = shortest_markers(m for lp in self.launchpads for m in lp.markers)
        self._lines = frozenset(line for lp in self.launchpads for line in lp.launch_lines)
        self._prefixes = tuple(p for lp in self.launchpads for p in lp.launch_prefixes)
        #: Dismisses, a chunk at a time, the valid logsNotifications that hold no launch line of
        #: these launchpads (the hot path: `operators.detection` uses it).
        self.prefilter = Prefilter(self._lines, self._prefixes)

    def may_hold_launch(self, log_text: str) -> bool:
        """False when the joined logs hold no launch line of any launchpad (the fast path).

        A short marker ("Instruction: Initialize") also occurs in lines that are no launch (the
        token program's "InitializeAccount3", in most swaps that open a token account), so each
        occurrence's whole line is compared with the launch lines before the frame is walked.
        """
        for marker in self.markers:
            at = log_text.find(marker)
            while at >= 0:
                start = log_text.rfind("\n", 0, at) + 1
                end = log_text.find("\n", at)
                line = log_text[start:] if end < 0 else log_text[start:end]
                if line in self._lines or line.startswith(self._prefixes):
                    return True
                if end < 0:
                    break
                at = log_text.find(marker, end)
        return False

    def find(self, tx: Transaction) -> FoundLaunch | None:
        """The launch in a transaction, or None (not a launch, or a failed transaction).

        Raises `UndecodableEvent` when the launch is certain but its event data is corrupt.
        """
        if tx.failed:
            return None
        text = tx.log_text
        if not self.may_hold_launch(text) and text and LOG_TRUNCATED not in text:
            return None
        if tx.carries_instructions:
            found = self._from_instructions(tx)
            if found is not None:
                return found
        # A logs-only frame; or a full one whose instructions show no launch although a launch
        # line is there (its data unreadable, say): the logs still tell what they can.
        hit = find_in_logs(tx.logs, self._by_program)
        if hit is None:
            return None
        launchpad, log_launch = hit
        if tx.carries_instructions:
            log_launch = replace(log_launch, cpi_events=_cpi_events(tx, launchpad.program))
        return launchpad.decode_logs(log_launch)

    def _from_instructions(self, tx: Transaction) -> FoundLaunch | None:
        instructions = tx.instructions() or []
        by_program = self._by_program
        for position, instruction in enumerate(instructions):
            launchpad = by_program.get(instruction.program)
            if launchpad is None:
                continue
            witness = _Witness(tx.logs, launchpad)
            context = InstructionContext(tx, instructions, position, witness)
            found = launchpad.decode_instruction(context)
            if found is not None:
                return found
        return None


def _cpi_events(tx: Transaction, program: str) -> tuple[bytes, ...]:
    events: list[bytes] = []
    for instruction in tx.instructions() or ():
        if instruction.program == program and instruction.depth > 1:
            data = instruction.data
            if data is not None and data[:8] == EVENT_CPI_TAG:
                events.append(data[8:])
    return tuple(events)


def shortest_markers(markers: Iterable[str]) -> tuple[str, ...]:
    """The markers that contain no other: "Instruction: Create" stands for "...: CreateV2" and
    "...: CreatePool" too. Each marker is one scan of every frame's logs, so fewer is faster; a
    frame the shorter marker lets through is then dismissed by the exact walk."""
    unique = sorted(set(markers), key=len)
    kept: list[str] = []
    for marker in unique:
        if not any(shorter in marker for shorter in kept):
            kept.append(marker)
    return tuple(kept)


class _Witness:
    """The launchpad's launch as the logs show it, found once and only when asked for."""

    __slots__ = ("_done", "_launchpad", "_logs", "_value")

    def __init__(self, logs: list[str], launchpad: Launchpad) -> None:
        self._logs = logs
        self._launchpad = launchpad
        self._value: LogLaunch | None = None
        self._done = False

    def __call__(self) -> LogLaunch | None:
        if not self._done:
            self._done = True
            hit = find_in_logs(self._logs, {self._launchpad.program: self._launchpad})
            self._value = hit[1] if hit is not None else None
        return self._value


def find_in_logs(
    logs: list[str], by_program: dict[str, Launchpad]
) -> tuple[Launchpad, LogLaunch] | None:
    """The first launch line of one of `by_program`'s launchpads, inside its own invoke frame,
    with what that launchpad logged around it (see `LogLaunch`).

    Only the runtime writes lines that do not start with "Program log: " / "Program data: ", so
    a program cannot fake an invoke or success line by logging text that looks like one.
    """
    stack: list[str] = []
    found: Launchpad | None = None
    line_found = ""
    depth = 0
    frame_open = False
    frame_logs: list[str] = []
    events: list[str] = []
    truncated = False
    for line in logs:
        if line.endswith(" success"):  # "Program <id> success"
            if stack and not line.startswith(LOG_PREFIX):
                if frame_open and len(stack) == depth:
                    frame_open = False
                stack.pop()
        elif line.startswith(LOG_PREFIX):
            if not stack:
                continue
            launchpad = by_program.get(stack[-1])
            if launchpad is None:
                continue
            if found is None:
                if launchpad.is_launch_line(line):
                    found, line_found, depth, frame_open = launchpad, line, len(stack), True
                    frame_logs.append(line)
            elif launchpad is found:
                if launchpad.is_launch_line(line):
                    break  # its next launch: what follows belongs to another one
                if frame_open:
                    frame_logs.append(line)
        elif line.endswith(" compute units"):  # "Program <id> consumed N of M compute units"
            continue
        elif line.startswith(DATA_PREFIX):
            if found is not None and stack and stack[-1] == found.program:
                events.append(line[len(DATA_PREFIX) :])
        elif line.startswith("Program "):
            # "Program <id> invoke [n]" opens a frame, "Program <id> failed: <error>" closes one.
            space = line.find(" ", 8)
            if line.startswith(" invoke [", space):
                stack.append(line[8:space])
            elif stack and line.startswith(" failed", space):
                if frame_open and len(stack) == depth:
                    frame_open = False
                stack.pop()
        elif line.startswith(LOG_TRUNCATED):
            truncated = True
            break
    if found is None:
        return None
    return found, LogLaunch(line_found, depth, tuple(frame_logs), tuple(events), truncated)
