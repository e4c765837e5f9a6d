"""Reading text input safely: size/emptiness/binary/encoding checks with line numbers,
a UTF-8 BOM and CRLF line endings accepted."""

from __future__ import annotations

import codecs
import hashlib
from collections.abc import Iterator
from pathlib import Path

from reportgen.errors import InputError

SNIFF_BYTES = 64 * 1024


def file_sha256(path: Path, *, text: bool = False) -> tuple[str, int]:
    """The file's SHA-256 and size. ``text``: an input file, whose NUL bytes are refused here, in
    the pass that reads it all anyway (check_readable looks at the first bytes only)."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            if text and (at := chunk.find(b"\x00")) >= 0:
                raise nul_error(path, size + at)
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def nul_error(path: Path, offset: int) -> InputError:
    """The error for the NUL byte at ``offset``, naming its line (LF, CRLF and CR end lines, as in
    Lines) and column."""
    with open(path, "rb") as fh:
        before = fh.read(offset)
    line = before.count(b"\n") + before.count(b"\r") - before.count(b"\r\n") + 1
    start = max(before.rfind(b"\n"), before.rfind(b"\r")) + 1
    column = len(before[start:].removeprefix(codecs.BOM_UTF8).decode("utf-8", errors="replace")) + 1
    return InputError(f"holds a NUL byte at column {column}, which a text file must not hold; remove it",
                      path=path, line=line)


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


class Lines:
    """Lines of a UTF-8 file read in large chunks, with look-ahead and a fast search for the
    end of an answer. CRLF and CR become LF; a byte-order mark is dropped. Memory holds one
    chunk plus the transcript being read."""

    CHUNK = 1 << 22

    def __init__(self, path: Path):
        self._path = path
        self._fh = open(path, "rb")
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self._first = True
        self._cr = False
        self.buf = ""
        self.pos = 0          # start of the current line in buf
        self.lineno = 1       # number of the line that starts at pos
        self.last = 0         # number of the last line consumed
        self.eof = False

    def _fill(self) -> bool:
        if self.eof:
            return False
        raw = self._fh.read(self.CHUNK)
        try:
            text = self._decoder.decode(raw, final=not raw)
        except UnicodeDecodeError:
            self._fh.close()
            raise decode_error(self._path) from None
        if self._first and text:
            text = text.removeprefix("\ufeff")
            self._first = False
        if self._cr:
            text = "\r" + text
            self._cr = False
        if raw and text.endswith("\r"):
            text, self._cr = text[:-1], True
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        keep = max(self.pos - 1, 0)  # keep the newline before the current line: terminators start with it
        self.buf = self.buf[keep:] + text
        self.pos -= keep
        if not raw:
            self.eof = True
            self._fh.close()
            if len(self.buf) > self.pos and not self.buf.endswith("\n"):
                self.buf += "\n"
        return True

    def line_end(self, start: int) -> tuple[int, int]:
        while True:
            end = self.buf.find("\n", start)
            if end >= 0:
                return start, end
            rel = start - self.pos
            if not self._fill():
                return start, -1
            start = self.pos + rel

    def peek(self, k: int = 0) -> tuple[int, str] | None:
        start = self.pos
        for i in range(k + 1):
            start, end = self.line_end(start)
            if end < 0:
                return None
            if i == k:
                return self.lineno + k, self.buf[start:end]
            start = end + 1
        return None

    def next(self) -> tuple[int, str] | None:
        start, end = self.line_end(self.pos)
        if end < 0:
            return None
        self.pos = end + 1
        self.last = self.lineno
        self.lineno += 1
        return self.last, self.buf[start:end]

    def last_line_of_file(self) -> int:
        while self._fill():
            pass
        return self.lineno - 1 + self.buf.count("\n", self.pos)

    def find(self, needle: str, start: int) -> int:
        """Absolute index of needle at or after start (filling as needed); -1 at end of file."""
        while True:
            idx = self.buf.find(needle, start)
            if idx >= 0:
                return idx
            rel = max(start, len(self.buf) - len(needle)) - self.pos
            if not self._fill():
                return -1
            start = max(self.pos + rel, self.pos - 1)

    def consume_to(self, idx: int, end: int) -> str:
        """Return the text from the current line up to idx, and move past end."""
        body = self.buf[self.pos:idx] if idx >= self.pos else ""
        self.lineno += self.buf.count("\n", self.pos, end)
        self.last = self.lineno - 1
        self.pos = end
        return body


def iter_lines(path: Path) -> Iterator[tuple[int, str]]:
    """Yield (line number, text without its line ending), streaming, strict UTF-8; a BOM is
    dropped and CRLF or CR endings become plain lines."""
    lines = Lines(path)
    while (item := lines.next()) is not None:
        yield item


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
