"""The one transaction model every frame format becomes.

A `Transaction` has what detection needs whatever delivered it: signature, slot, whether it
failed, its log lines, and, when the frame carries the transaction itself, its account keys
(static keys, then the ones loaded from address lookup tables: writable, then readonly) and its
instructions in execution order with their invoke depth.

Building the instruction list costs far more than reading the logs, and most frames are not
launches, so it is built lazily: a source hands over a loader (`InstructionLoader`) and the list
is made the first time detection asks. A logs-only frame has no loader (`instructions()` is None).

Nothing here raises on a malformed transaction: an account index that points nowhere (a lookup
table the frame did not resolve, say) becomes the empty string, and data that is not valid base58
becomes None, so a decoder reading that role sees "unknown", never another account's key.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from solwire.base58 import b58decode

__all__ = ["MAX_DATA_CHARS", "UNKNOWN_KEY", "Instruction", "InstructionLoader", "Transaction"]

#: What an account index resolves to when the frame does not hold that key.
UNKNOWN_KEY = ""
#: Longest base58 instruction data decoded (decoding is quadratic in the length): a launch
#: instruction or a CPI event is a few hundred characters.
MAX_DATA_CHARS = 4096


class Instruction:
    """One instruction as it executed: its program, accounts, data and invoke depth.

    `depth` is 1 for a top-level instruction and n for one invoked at ``invoke [n]``.
    `accounts` are keys (`UNKNOWN_KEY` where the index did not resolve). `data` is decoded on
    first use from the base58 text of a JSON frame, or given as bytes by a binary source.
    """

    __slots__ = ("_accounts", "_data", "_indexes", "_keys", "_text", "depth", "program")

    def __init__(
        self,
        program: str,
        accounts: Sequence[str],
        data: bytes | None = None,
        depth: int = 1,
        *,
        data_base58: str | None = None,
        account_indexes: Sequence[object] | None = None,
        keys: Sequence[str] = (),
    ) -> None:
        self.program = program
        self._accounts = accounts
        self.depth = depth
        self._data = data
        self._text = data_base58
        # A frame's instruction names its accounts by index into the transaction's keys: they
        # are resolved when a decoder first reads them (only a launchpad's instructions are).
        self._indexes = account_indexes
        self._keys = keys

    @property
    def accounts(self) -> Sequence[str]:
        """The account keys in role order (`UNKNOWN_KEY` where an index did not resolve)."""
        indexes = self._indexes
        if indexes is not None:
            self._indexes = None
            keys = self._keys
            count = len(keys)
            self._accounts = [
                entry
                if type(entry) is str
                else keys[entry]
                if type(entry) is int and 0 <= entry < count
                else UNKNOWN_KEY
                for entry in indexes
            ]
            self._keys = ()
        return self._accounts

    @property
    def data(self) -> bytes | None:
        """The instruction data, None when the frame's data was unreadable."""
        if self._data is None and self._text is not None:
            text, self._text = self._text, None
            if len(text) <= MAX_DATA_CHARS:
                try:
                    self._data = b58decode(text)
                except ValueError:
                    self._data = None
        return self._data

    def account(self, index: int) -> str | None:
        """The key in role `index`, None when the instruction has no such account or its key
        is unknown."""
        accounts = self.accounts
        if 0 <= index < len(accounts):
            return accounts[index] or None
        return None

    def __repr__(self) -> str:
        return (
            f"Instruction(program={self.program!r}, depth={self.depth}, "
            f"accounts={len(self.accounts)}, data={self.data!r})"
        )


#: Builds (account keys, instructions in execution order) when detection first asks.
InstructionLoader = Callable[[], tuple[list[str], list[Instruction]]]


@dataclass(slots=True)
class Transaction:
    """One transaction, whichever frame format delivered it."""

    signature: str
    slot: int | None
    failed: bool
    logs: list[str]
    #: The log lines joined by "\n": a cheap haystack for the launch markers.
    log_text: str
    loader: InstructionLoader | None = None
    _loaded: tuple[list[str], list[Instruction]] | None = field(default=None, repr=False)

    def _load(self) -> tuple[list[str], list[Instruction]] | None:
        if self._loaded is None and self.loader is not None:
            self._loaded = self.loader()
        return self._loaded

    def account_keys(self) -> list[str] | None:
        """Static keys, then lookup-table keys (writable, readonly); None for a logs-only frame."""
        loaded = self._load()
        return loaded[0] if loaded is not None else None

    def instructions(self) -> list[Instruction] | None:
        """Every instruction in execution order (inner ones after the one that invoked them);
        None for a logs-only frame."""
        loaded = self._load()
        return loaded[1] if loaded is not None else None

    @property
    def carries_instructions(self) -> bool:
        return self.loader is not None or self._loaded is not None

    @classmethod
    def with_instructions(
        cls,
        *,
        signature: str,
        slot: int | None,
        failed: bool,
        logs: list[str],
        account_keys: list[str],
        instructions: list[Instruction],
    ) -> Transaction:
        """A transaction whose instructions are already known (a binary source, a test)."""
        return cls(
            signature,
            slot,
            failed,
            logs,
            "\n".join(logs),
            None,
            (account_keys, instructions),
        )


def inner_ranges(instructions: Sequence[Instruction], position: int) -> range:
    """Positions of the instructions that instruction `position` invoked, directly or not."""
    depth = instructions[position].depth
    end = position + 1
    while end < len(instructions) and instructions[end].depth > depth:
        end += 1
    return range(position + 1, end)
