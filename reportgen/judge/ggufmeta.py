"""Read string values from a GGUF file's header (key/value metadata) without llama.cpp.

``--endpoint --model FILE`` only needs the model's chat template, and the process that
reads it also holds duckdb, which must not share a process with llama.cpp (``worker``).
The header is: magic ``GGUF``, version (uint32, 2 or 3), tensor count and key/value count
(uint64), then per key a string name, a uint32 value type and the value; strings are a
uint64 length and UTF-8 bytes, arrays a uint32 element type, a uint64 count and the elements."""

from __future__ import annotations

import os
import struct
from pathlib import Path

from reportgen.errors import UsageError

_FIXED = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}   # type -> size in bytes
_STRING, _ARRAY = 8, 9


class _Reader:
    """Reads a header whose lengths may be damaged: nothing is read or skipped past the file's end."""

    def __init__(self, f):
        self.f = f
        self.size = os.fstat(f.fileno()).st_size

    def _room(self, n: int) -> None:
        if n < 0 or n > self.size - self.f.tell():
            raise EOFError

    def take(self, n: int) -> bytes:
        self._room(n)
        return self.f.read(n)

    def seek(self, n: int) -> None:
        self._room(n)
        self.f.seek(n, 1)

    def u32(self) -> int:
        return struct.unpack("<I", self.take(4))[0]

    def u64(self) -> int:
        return struct.unpack("<Q", self.take(8))[0]

    def string(self) -> bytes:
        return self.take(self.u64())

    def skip(self, kind: int) -> None:
        if kind in _FIXED:
            self.seek(_FIXED[kind])
        elif kind == _STRING:
            self.seek(self.u64())
        elif kind == _ARRAY:
            inner, count = self.u32(), self.u64()
            if inner in _FIXED:
                self.seek(_FIXED[inner] * count)
            else:
                self._room(count)         # every element takes at least a byte
                for _ in range(count):
                    self.skip(inner)
        else:
            raise ValueError(f"unknown value type {kind}")


def read_strings(path: Path, keys: set[str]) -> dict[str, str]:
    """The string values of ``keys`` that the header holds."""
    found: dict[str, str] = {}
    try:
        with open(path, "rb") as f:
            r = _Reader(f)
            if r.take(4) != b"GGUF" or r.u32() not in (2, 3):
                raise UsageError("is not a GGUF file (version 2 or 3); pass --model PATH to a GGUF file", path=path)
            r.u64()
            for _ in range(r.u64()):
                name = r.string().decode("utf-8", "replace")
                kind = r.u32()
                if name in keys and kind == _STRING:
                    found[name] = r.string().decode("utf-8", "replace")
                    if len(found) == len(keys):
                        break
                else:
                    r.skip(kind)
    except (EOFError, ValueError, OverflowError):
        raise UsageError("has a damaged GGUF header; pass --model PATH to a GGUF file", path=path) from None
    except OSError as exc:
        raise UsageError(f"cannot be read ({exc.strerror})", path=path) from None
    return found
