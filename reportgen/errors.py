"""User-facing errors. Each one carries a single sentence that names the file (and
line, where there is one) and says what to fix; the CLI prints it without a traceback."""

from __future__ import annotations

from pathlib import Path


class ReportgenError(Exception):
    """Base class: an error the user can act on."""

    def __init__(self, message: str, *, path: str | Path | None = None, line: int | None = None):
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = f"{self.path}, line {self.line}: " if self.line is not None else f"{self.path}: "
        return where + self.message


class InputError(ReportgenError):
    """An input file cannot be read or does not follow its format."""


class DatabaseError(ReportgenError):
    """The database cannot be opened or written (locked, not a DuckDB file, read-only)."""


class QueryError(ReportgenError):
    """An ad-hoc query failed or was refused."""


class UsageError(ReportgenError):
    """Arguments that do not fit the data (unknown run, bad --map, ...)."""
