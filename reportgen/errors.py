"""User-facing errors. Each one carries a single sentence that names the file (and
line, where there is one) and says what to fix; the CLI prints it without a traceback."""

from __future__ import annotations

import errno
import os
import sys
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


class FileSystemError(ReportgenError):
    """The operating system refused to read or write a file or folder (an ``OSError``)."""

    _WHAT = {
        errno.EACCES: "permission denied; pick another path or fix its permissions",
        errno.EPERM: "not permitted; pick another path or fix its permissions",
        errno.EROFS: "is on a read-only file system; pick another path",
        errno.ENOENT: "no such file or folder, and it cannot be created there; check the path and its parent folder",
        errno.ENOTDIR: "a part of the path is a file, not a folder; pick another path",
        errno.EISDIR: "is a folder where a file is needed; pick another path",
        errno.EEXIST: "already exists; pick another path",
        errno.ENOSPC: "no space left on the device; free some space and run the command again",
        errno.EDQUOT: "disk quota exceeded; free some space and run the command again",
        errno.EFBIG: "file too large for this system; free some space or pick another path",
    }

    @classmethod
    def from_os_error(cls, exc: OSError) -> "FileSystemError":
        what = cls._WHAT.get(exc.errno) or str(exc.strerror or exc) + ("; check the path" if exc.filename else "")
        return cls(what, path=exc.filename)


def user_error(exc: BaseException) -> ReportgenError | None:
    """The one-line form of an error that is not a bug in reportgen: a ReportgenError, an OSError, or
    DuckDB failing to read or write its files (also when a failed COMMIT's rollback raised over it).
    None for anything else."""
    if isinstance(exc, ReportgenError):
        return exc
    duckdb = sys.modules.get("duckdb")
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError):
            return FileSystemError.from_os_error(seen)
        if duckdb is None or not isinstance(seen, duckdb.Error):
            return None
        text = str(seen).strip().splitlines()[0] if str(seen).strip() else type(seen).__name__
        if isinstance(seen, duckdb.OutOfMemoryException):
            budget = os.environ.get("REPORTGEN_MEMORY_LIMIT")
            now = f"REPORTGEN_MEMORY_LIMIT={budget}" if budget else "the default budget"
            return DatabaseError(f"DuckDB ran out of memory within {now} ({text.rstrip('.')}); set "
                                 "REPORTGEN_MEMORY_LIMIT higher (e.g. 8GB) or free memory, then run the command again")
        if isinstance(seen, (duckdb.IOException, duckdb.PermissionException)) or "Failed to commit" in text:
            return DatabaseError(f"the database cannot be read or written ({text}); free some space or fix the "
                                 "permissions of the file and its folder, then run the command again")
        seen = seen.__cause__ or seen.__context__
    return None
