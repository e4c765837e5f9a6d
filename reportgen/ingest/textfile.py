"""Reading text input safely: size/emptiness/binary/encoding checks with line numbers,
a UTF-8 BOM and CRLF line endings accepted."""

from __future__ import annotations

import codecs
import hashlib
from collections.abc import Iterator
from pathlib import Path

from reportgen.errors import InputError

SNIFF_BYTES = 64 * 1024


def file_sha256(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def check_readable(path: Path) -> bytes:
    """Return the first bytes of ``path``; raise InputError if it cannot be text input."""
    if not path.exists():
        raise InputError("no such file; check the path", path=path)
    if path.is_dir():
        raise InputError("is a folder, not a file; give the file inside it", path=path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror}); check its permissions", path=path) from None
    if not head.strip(b" \t\r\n\xef\xbb\xbf"):
        raise InputError("the file is empty; give a file with content", path=path)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or head[:200].count(b"\x00") > 0:
        line = head[: head.find(b"\x00")].count(b"\n") + 1 if b"\x00" in head else 1
        raise InputError(
            "holds NUL bytes: it is binary or UTF-16, not UTF-8 text; re-save it as UTF-8",
            path=path, line=line,
        )
    return head


def iter_lines(path: Path) -> Iterator[tuple[int, str]]:
    """Yield (line number, text without its line ending), streaming, strict UTF-8.

    A UTF-8 BOM is dropped, and CRLF or CR endings become plain lines."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    lineno = 0
    pending = ""
    first = True
    with open(path, "rb") as fh:
        while True:
            chunk = fh.read(1 << 20)
            final = not chunk
            try:
                text = decoder.decode(chunk, final=final)
            except UnicodeDecodeError:
                raise decode_error(path) from None
            if first and text:
                text = text.removeprefix("\ufeff")
                first = False
            if text:
                pending += text
                parts = pending.splitlines(keepends=True)
                pending = ""
                if parts and not parts[-1].endswith(("\n", "\r")):
                    pending = parts.pop()
                elif parts and parts[-1].endswith("\r"):
                    # a CR at the end of a chunk may be the first half of a CRLF
                    pending = parts.pop()
                for part in parts:
                    lineno += 1
                    yield lineno, part.rstrip("\r\n")
            if final:
                if pending:
                    lineno += 1
                    yield lineno, pending.rstrip("\r\n")
                return


def check_utf8(path: Path) -> None:
    """Raise InputError naming the line of the first byte that is not UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    with open(path, "rb") as fh:
        try:
            while chunk := fh.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise decode_error(path) from None


def decode_error(path: Path) -> InputError:
    """Locate the first byte that is not UTF-8, by line."""
    lineno = 1
    with open(path, "rb") as fh:
        for raw in fh:
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                return InputError(
                    f"byte 0x{raw[exc.start]:02x} at column {exc.start + 1} is not UTF-8 "
                    "(the file may be Latin-1 or UTF-16); re-save it as UTF-8",
                    path=path, line=lineno,
                )
            lineno += 1
    return InputError("is not valid UTF-8; re-save it as UTF-8", path=path)
