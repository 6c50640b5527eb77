"""The log lines of a Solana transaction, and a small model of invocations that renders them.

The runtime writes ``Program <id> invoke [depth]``, ``Program <id> consumed X of Y compute
units``, ``Program <id> success`` / ``failed: ...`` around what each program logs itself
(``Program log:`` for ``msg!``, ``Program data:`` for ``sol_log_data``), and stops at a byte limit
with ``Log truncated``. The decoder walks these lines; the generator writes them through `Invoke`
and `render_logs`, so the compute-unit arithmetic of a synthetic transaction stays consistent
line by line.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from solwire.programs import BUILTIN_PROGRAMS, MEMO_PROGRAM, SYSTEM_PROGRAM

__all__ = [
    "BUILTIN_COST",
    "DATA_PREFIX",
    "INITIALIZE2_PREFIX",
    "LOG_BYTES_LIMIT",
    "LOG_PREFIX",
    "LOG_TRUNCATED",
    "Invoke",
    "anchor_error_line",
    "initialize2_line",
    "program_data_line",
    "program_log",
    "ray_log_line",
    "render_logs",
    "truncate_logs",
]

#: What ``msg!`` and ``sol_log_data`` lines start with.
LOG_PREFIX = "Program log: "
DATA_PREFIX = "Program data: "
#: The runtime's log collector stops at this many bytes of log text and prints ``Log truncated``.
LOG_BYTES_LIMIT = 10_000
LOG_TRUNCATED = "Log truncated"
#: How Raydium AMM v4 prints the arguments of ``initialize2``, its pool creation.
INITIALIZE2_PREFIX = "Program log: initialize2: InitializeInstruction2"
#: Compute units a builtin instruction costs.
BUILTIN_COST = 150


def program_data_line(payload: bytes) -> str:
    """``Program data: <base64>``, the line ``sol_log_data`` (Anchor ``emit!``) prints."""
    return DATA_PREFIX + base64.b64encode(payload).decode("ascii")


def program_log(message: str) -> str:
    """``Program log: <message>``, the line ``msg!`` prints."""
    return LOG_PREFIX + message


def ray_log_line(payload: bytes) -> str:
    return LOG_PREFIX + "ray_log: " + base64.b64encode(payload).decode("ascii")


def initialize2_line(nonce: int, open_time: int, init_pc_amount: int, init_coin_amount: int) -> str:
    """Raydium's debug print of the ``initialize2`` arguments."""
    return (
        f"{INITIALIZE2_PREFIX} {{ "
        f"nonce: {nonce}, open_time: {open_time}, "
        f"init_pc_amount: {init_pc_amount}, init_coin_amount: {init_coin_amount} }}"
    )


def anchor_error_line(file: str, line: int, code_name: str, number: int, message: str) -> str:
    """The line Anchor prints when a program returns an ``AnchorError`` from source code."""
    return (
        f"Program log: AnchorError thrown in {file}:{line}. Error Code: {code_name}. "
        f"Error Number: {number}. Error Message: {message}."
    )


@dataclass(frozen=True, slots=True)
class Invoke:
    """One program invocation: what it logs, the programs it calls, what it costs.

    `body` holds log lines (already prefixed, e.g. ``Program log: ...``) and nested invocations
    in the order they happen. `cost` is what the program spends itself; the ``consumed`` line adds
    its children. `returns` prints a ``Program return:`` line after ``consumed``. `fails_with`
    makes the invocation end in ``failed: custom program error: 0x..`` and stops the
    transaction there (its error log lines belong in `body`). A `static` invocation (a
    module-level constant, never rebuilt) has its lines worked out once per depth and reused.
    """

    program: str
    body: tuple[str | Invoke, ...] = ()
    cost: int = 0
    returns: str | None = None
    fails_with: int | None = None
    static: bool = False


# A static invocation compiles to a list of ops: a finished line, or a ``consumed`` line waiting
# for the units left when its program was invoked (``remaining - offset``, with remaining counted
# where the compiled invocation starts).
_Op = str | tuple[str, int, str]
_COMPILED: dict[tuple[int, int], tuple[Invoke, list[_Op], int]] = {}


class _Failed(Exception):
    pass


def render_logs(instructions: Iterable[Invoke], compute_limit: int) -> list[str]:
    """The log messages the runtime records for these top-level instructions.

    ``consumed X of Y``: Y is what was left when the program was invoked, X what it used
    including its children. Builtins (System, ComputeBudget) print no ``consumed`` line. A
    failing invocation ends the transaction: nothing after it is logged.
    """
    out: list[Any] = []
    remaining = compute_limit
    try:
        for instruction in instructions:
            remaining -= _walk(instruction, 1, 0, out, remaining)
    except _Failed:
        pass
    return out


def _walk(node: Invoke, depth: int, offset: int, out: list[Any], top: int | None) -> int:
    """Append `node`'s lines to `out`; return the units it used, children included.

    The units left when `node` is invoked are ``top - offset``. With `top` None they are not
    known yet: each ``consumed`` line is left as an op ``(head, offset, tail)`` (how a static
    invocation is compiled once and reused).
    """
    if node.static and top is not None:
        ops, used = _compiled(node, depth)
        remaining = top - offset
        append = out.append
        for op in ops:
            if isinstance(op, str):
                append(op)
            else:
                append(f"{op[0]}{remaining - op[1]}{op[2]}")
        return used
    program = node.program
    out.append(f"Program {program} invoke [{depth}]")
    if program in BUILTIN_PROGRAMS:
        out.extend(item for item in node.body if isinstance(item, str))
        out.append(f"Program {program} success")
        return BUILTIN_COST
    children = sum(1 for item in node.body if not isinstance(item, str))
    step = node.cost // (children + 1)
    used = 0
    for item in node.body:
        if isinstance(item, str):
            out.append(item)
        else:
            used += step
            used += _walk(item, depth + 1, offset + used, out, top)
    used += node.cost - step * children
    if top is None:
        out.append((f"Program {program} consumed {used} of ", offset, " compute units"))
    else:
        out.append(f"Program {program} consumed {used} of {top - offset} compute units")
    if node.returns is not None:
        out.append(f"Program return: {program} {node.returns}")
    if node.fails_with is not None:
        if top is None:
            raise ValueError("a static invocation cannot fail")
        out.append(f"Program {program} failed: custom program error: {node.fails_with:#x}")
        raise _Failed
    out.append(f"Program {program} success")
    return used


def _compiled(node: Invoke, depth: int) -> tuple[list[_Op], int]:
    key = (id(node), depth)
    hit = _COMPILED.get(key)
    if hit is None:
        ops: list[_Op] = []
        used = _walk(node, depth, 0, ops, None)
        # holding `node` in the value keeps its id from being reused by another object
        hit = _COMPILED[key] = (node, ops, used)
    return hit[1], hit[2]


def truncate_logs(
    logs: Sequence[str], keep: int, limit: int = LOG_BYTES_LIMIT, filler_first: bool = True
) -> list[str]:
    """Logs cut by the runtime's byte limit right after ``logs[:keep]``.

    Real transactions reach the 10 kB limit through many instructions; this prepends filler
    instructions (System transfers and one Memo, both common in bundled launches) so that the
    byte count crosses `limit` exactly at line `keep`, then ends with ``Log truncated``.
    """
    if not filler_first:
        return [*logs[:keep], LOG_TRUNCATED]
    kept = sum(len(line) for line in logs[:keep])
    next_len = len(logs[keep]) if keep < len(logs) else 1
    # Want: kept + filler <= limit < kept + filler + next_len.
    target_high = limit - kept
    target_low = target_high - next_len + 1
    transfer = [f"Program {SYSTEM_PROGRAM} invoke [1]", f"Program {SYSTEM_PROGRAM} success"]
    transfer_bytes = sum(len(line) for line in transfer)
    memo_lines = _memo_lines(0, 0)
    memo_fixed = sum(len(line) for line in memo_lines)
    transfers = max(0, (target_low - memo_fixed - 60) // transfer_bytes)
    memo_len = max(0, target_low - transfers * transfer_bytes - memo_fixed)
    # the memo's length digits change the fixed part: settle it
    for _ in range(3):
        fixed = sum(len(line) for line in _memo_lines(memo_len, 0)) - memo_len
        memo_len = max(0, target_low - transfers * transfer_bytes - fixed)
    memo = _memo_lines(memo_len, 0)
    filler = memo + transfer * transfers
    return [*filler, *logs[:keep], LOG_TRUNCATED]


def _memo_lines(length: int, remaining: int) -> list[str]:
    text = ("gm " * (length // 3 + 1))[:length]
    return [
        f"Program {MEMO_PROGRAM} invoke [1]",
        f'Program log: Memo (len {length}): "{text}"',
        f"Program {MEMO_PROGRAM} consumed {7000 + 6 * length} of {remaining or 1400000} "
        "compute units",
        f"Program {MEMO_PROGRAM} success",
    ]
