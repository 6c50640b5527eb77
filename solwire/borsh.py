"""Borsh, the encoding of Anchor events: a lenient reader, and a string writer for the generator.

Borsh is little-endian and unframed: integers are fixed width, a string is a u32 length followed by
that many UTF-8 bytes, a public key is 32 raw bytes. Nothing in the bytes says where a field ends
except the layout the reader already knows, so a reader can only notice that the bytes ran out.
That is what `EndOfData` reports; callers keep the fields they read before it.
"""

from __future__ import annotations

import struct

from solwire.base58 import b58encode

__all__ = ["BorshReader", "EndOfData", "borsh_string"]

_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_I64 = struct.Struct("<q")


class EndOfData(Exception):
    """The bytes ended before the field being read: the data was cut."""


class BorshReader:
    """Reads Borsh fields one after another from `data`, starting at `offset`.

    Every read either returns a whole field or raises `EndOfData` without moving, so what was read
    before a cut stays valid.
    """

    __slots__ = ("_data", "_end", "offset")

    def __init__(self, data: bytes, offset: int = 0) -> None:
        self._data = data
        self._end = len(data)
        self.offset = offset

    @property
    def remaining(self) -> int:
        return self._end - self.offset

    def _take(self, size: int) -> bytes:
        start = self.offset
        stop = start + size
        if stop > self._end:
            raise EndOfData(f"needed {size} bytes at offset {start}, {self._end - start} left")
        self.offset = stop
        return self._data[start:stop]

    def _unpack(self, fmt: struct.Struct) -> int:
        start = self.offset
        if start + fmt.size > self._end:
            raise EndOfData(f"needed {fmt.size} bytes at offset {start}, {self._end - start} left")
        (value,) = fmt.unpack_from(self._data, start)
        self.offset = start + fmt.size
        return int(value)

    def u8(self) -> int:
        if self.offset >= self._end:
            raise EndOfData(f"needed 1 byte at offset {self.offset}, none left")
        value = self._data[self.offset]
        self.offset += 1
        return value

    def boolean(self) -> bool:
        # Any non-zero byte reads as true: lenient, as the callers want.
        return self.u8() != 0

    def u16(self) -> int:
        return self._unpack(_U16)

    def u32(self) -> int:
        return self._unpack(_U32)

    def u64(self) -> int:
        return self._unpack(_U64)

    def i64(self) -> int:
        return self._unpack(_I64)

    def pubkey_bytes(self) -> bytes:
        """A 32-byte public key, raw (compare raw bytes; encode only what is shown)."""
        return self._take(32)

    def pubkey(self) -> str:
        """A 32-byte public key, as base58 text."""
        return b58encode(self._take(32))

    def skip(self, size: int) -> None:
        self._take(size)

    def string(self) -> str:
        """A u32-length-prefixed UTF-8 string, undecodable bytes replaced, NUL padding stripped.

        A length larger than what is left means the data was cut: `EndOfData`, and the reader does
        not move (the length prefix is not consumed either).
        """
        start = self.offset
        length = self.u32()
        if length > self._end - self.offset:
            self.offset = start
            raise EndOfData(
                f"string of {length} bytes at offset {start}, {self._end - start - 4} left"
            )
        raw = self._take(length)
        return raw.decode("utf-8", "replace").strip("\x00")


def borsh_string(text: str) -> bytes:
    """A Borsh ``String``: u32 little-endian byte length, then UTF-8 bytes."""
    raw = text.encode("utf-8")
    return _U32.pack(len(raw)) + raw
