"""A streamed ``SubscribeUpdateTransaction`` as the project's `Transaction`, without JSON.

The signature, slot, failure and logs are read at once (the detector's gate needs them for every
transaction); the account keys and instructions only when detection asks (`Transaction.loader`):
most transactions are not launches, and base58-encoding every key costs more than the rest.

Keys are the message's static keys, then the ones loaded from lookup tables (writable, then
readonly), as in every other frame format. Inner instructions follow the top-level one that
invoked them, at their ``stack_height`` (2 when the server did not say). A transaction without
``meta`` is not converted: without it, whether it failed and what it logged is unknown, and a
failed launch must never be reported.
"""

from __future__ import annotations

from google.protobuf import json_format

from connectors.yellowstone import geyser_pb2 as pb
from solwire.base58 import b58encode
from solwire.txmodel import UNKNOWN_KEY, Instruction, InstructionLoader, Transaction

__all__ = ["YellowstoneTransaction", "transaction_of"]

#: Base58 of the keys seen lately. Programs, sysvars, global and fee accounts recur in nearly
#: every launch, and encoding a key costs ~50x a lookup; cleared when full (wallets and mints are
#: mostly new, so the recurring keys are back after a few transactions).
_KEY_TEXT: dict[bytes, str] = {}
_KEY_TEXT_LIMIT = 65_536


class YellowstoneTransaction(Transaction):
    """A `Transaction` that keeps the update it came from, for record mode (`record_line`)."""

    __slots__ = ("update",)
    update: pb.SubscribeUpdate

    def record_line(self) -> bytes:
        """The update in protobuf's canonical JSON mapping, on one line: the format
        `solwire.yellowstone_json` reads back on replay."""
        text: str = json_format.MessageToJson(self.update, indent=None)
        return text.encode()


def transaction_of(update: pb.SubscribeUpdate) -> YellowstoneTransaction | None:
    """The transaction of a ``transaction`` update; None when it has no meta."""
    carried = update.transaction
    info = carried.transaction
    if not info.HasField("meta"):
        return None
    meta = info.meta
    logs = [] if meta.log_messages_none else list(meta.log_messages)
    tx = YellowstoneTransaction(
        b58encode(info.signature),
        carried.slot,
        meta.HasField("err"),
        logs,
        "\n".join(logs),
        _loader(info) if info.HasField("transaction") else None,
    )
    tx.update = update
    return tx


def _key_text(raw: bytes) -> str:
    text = _KEY_TEXT.get(raw)
    if text is None:
        if len(raw) != 32:
            return UNKNOWN_KEY
        text = b58encode(raw)
        if len(_KEY_TEXT) >= _KEY_TEXT_LIMIT:
            _KEY_TEXT.clear()
        _KEY_TEXT[raw] = text
    return text


def _loader(info: pb.SubscribeUpdateTransactionInfo) -> InstructionLoader:
    def load() -> tuple[list[str], list[Instruction]]:
        message, meta = info.transaction.message, info.meta
        keys = [
            _key_text(raw)
            for group in (
                message.account_keys,
                meta.loaded_writable_addresses,
                meta.loaded_readonly_addresses,
            )
            for raw in group
        ]
        count = len(keys)

        def key(index: int) -> str:
            return keys[index] if index < count else UNKNOWN_KEY

        inner_by_index = {group.index: group.instructions for group in meta.inner_instructions}
        ordered: list[Instruction] = []
        for position, top in enumerate(message.instructions):
            ordered.append(
                Instruction(key(top.program_id_index), [key(i) for i in top.accounts], top.data)
            )
            for inner in inner_by_index.get(position, ()):
                depth = inner.stack_height if inner.HasField("stack_height") else 0
                ordered.append(
                    Instruction(
                        key(inner.program_id_index),
                        [key(i) for i in inner.accounts],
                        inner.data,
                        depth if depth >= 1 else 2,
                    )
                )
        return keys, ordered

    return load
