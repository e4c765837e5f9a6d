"""The DuckDB file: opening it (with clear errors and a bounded memory budget), ordered
schema migrations, the per-run report summaries, and running named SQL files with
``$named`` parameters."""

from __future__ import annotations

import contextlib
import functools
import os
import re
import signal
from contextlib import contextmanager
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    import polars as pl

from reportgen import sqlfiles
from reportgen.errors import DatabaseError

_MIGRATION = re.compile(r"^schema/(\d{3})_(\w+)$")
# DuckDB's own default buffer pool is 80 % of the machine's memory; reportgen takes a quarter of what
# is available, at most MAX_MEMORY and at least MIN_MEMORY, and spills the rest to <db>.tmp/.
MAX_MEMORY = 3 * 2**30
MIN_MEMORY = 256 * 2**20

# For crash tests only: REPORTGEN_TEST_KILL_AT=N makes the process SIGKILL itself right after
# its N-th SQL statement (run, scalar and frame all count), so a test can place a kill at an
# exact point of an ingest or a judge run instead of at a moment. Unset, it costs one check
# per statement. In-process, _KILL_AT = -1 counts the statements (_statements_run) without a kill.
_KILL_AT = int(os.environ.get("REPORTGEN_TEST_KILL_AT") or 0)
_statements_run = 0


def _statement_done() -> None:
    global _statements_run
    _statements_run += 1
    if _statements_run == _KILL_AT:
        os.kill(os.getpid(), signal.SIGKILL)


def available_memory() -> int | None:
    """Bytes of memory this process could use now: Linux's MemAvailable, bounded by a cgroup
    (container) limit; else the machine's physical memory; None when neither is known."""
    found = []
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    found.append(int(line.split()[1]) * 1024)
                    break
    except (OSError, ValueError, IndexError):
        pass
    try:
        with open("/sys/fs/cgroup/memory.max", encoding="ascii") as fh:
            text = fh.read().strip()
        if text.isdigit():
            found.append(int(text))
    except OSError:
        pass
    if not found:
        try:
            found.append(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
        except (ValueError, OSError, AttributeError):
            return None
    return min(found)


def default_budget(available: int | None) -> int:
    """Bytes for DuckDB's buffer pool given the available memory: a quarter, within MIN..MAX_MEMORY."""
    return MAX_MEMORY if available is None else min(max(available // 4, MIN_MEMORY), MAX_MEMORY)


@functools.cache
def _default_memory_limit() -> str:
    # once per process: DuckDB refuses a second connection to a file with another configuration
    return f"{default_budget(available_memory()) // 2**20}MiB"


def memory_limit() -> str:
    """DuckDB's memory_limit: REPORTGEN_MEMORY_LIMIT when set (any DuckDB size, e.g. 4GB), else a
    quarter of the available memory between MIN_MEMORY and MAX_MEMORY."""
    return os.environ.get("REPORTGEN_MEMORY_LIMIT") or _default_memory_limit()


# Rows per row group of what a writer adds (DuckDB's default is 122,880). DuckDB scans a table one row group per
# thread, and an item is kilobytes of text: at the default a 100k-item run was one row group, so every category
# query ran on one core, and the whole group was compressed and written at commit, after the read, not during it.
ROW_GROUP_SIZE = 16_384
# Names a writable connection cannot give the file it attaches: DuckDB's own catalogs, and schemas that USE would find
# first. DuckDB names a file it opens after its name up to the first dot; reportgen adds _db to these, as DuckDB does
# to temp and system, so that SQL naming the file's catalog reads the same whether it writes or not.
_RESERVED_CATALOGS = ("", "memory", "temp", "system", "main", "pg_catalog", "information_schema")

READER_BUDGET = 1 << 30  # bytes: the most a connection that streams what it reads lets DuckDB keep


def cap_memory(con: duckdb.DuckDBPyConnection, most: int = READER_BUDGET) -> None:
    """Lower the database's memory budget to ``most`` bytes for a reader that streams (a site build),
    unless REPORTGEN_MEMORY_LIMIT sets it or the default budget is lower already."""
    if not os.environ.get("REPORTGEN_MEMORY_LIMIT") and default_budget(available_memory()) > most:
        run(con, "store/cap_memory", limit=f"{most // 2**20}MiB")


def require_db(path: Path, *, writable: bool = False) -> None:
    """Refuse a database file that does not exist (a typo in --db) where a command needs one, not a new one
    (``writable``: also one whose file or folder cannot be written, for a writer that writes nothing before
    its first commit and should find out now, not then)."""
    path = Path(path)
    if not path.exists():
        raise DatabaseError("no such database; create it with 'reportgen ingest FILE…' or pass --db", path=path)
    if not writable:
        return
    import tempfile
    # the file and its folder, where DuckDB puts its write-ahead log
    try:
        open(path, "r+b").close()
        tempfile.TemporaryFile(dir=path.resolve().parent).close()
    except OSError as exc:
        raise DatabaseError(f"cannot be written ({exc.strerror.lower() if exc.strerror else exc}: the file or its "
                            "folder, which DuckDB writes its log in); fix the permissions, or copy the database "
                            "somewhere writable and pass --db", path=path) from None


def _open(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    if read_only:
        require_db(path)
    if path.exists() and path.is_dir():
        raise DatabaseError("is a folder; --db needs a DuckDB file path", path=path)
    if not path.parent.is_dir():
        what = "is a file, not a folder" if path.parent.exists() else "does not exist"
        raise DatabaseError(f"its folder {path.parent} {what}; create the folder or pass another --db", path=path)
    # What does not fit in the budget spills beside the database (DuckDB removes the folder when done)
    config = {"memory_limit": memory_limit(), "temp_directory": str(path.with_name(path.name + ".tmp"))}
    try:
        if read_only:
            return duckdb.connect(str(path), read_only=True, config=config)
        return _attach(path, config)
    except duckdb.ResourceInUseException:  # DuckDB attaches a file once per process
        raise DatabaseError("is open in another connection of this process, and a writer needs it alone; "
                            "close that connection first", path=path) from None
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower():
            raise DatabaseError(
                "is in use by another process (DuckDB allows one writer at a time); wait for it "
                "to finish, then run the command again", path=path,
            ) from None
        if "Permission denied" in text:
            raise DatabaseError("cannot be opened (permission denied); fix the permissions of the file and its "
                                "folder, or pass another --db", path=path) from None
        if "not a valid DuckDB database" in text or "database file" in text.lower():
            raise DatabaseError("is not a DuckDB database file; pass another --db path", path=path) from None
        raise DatabaseError(f"cannot be opened ({text.splitlines()[0]})", path=path) from None
    except (duckdb.Error, ValueError) as exc:
        hint = "; check REPORTGEN_MEMORY_LIMIT" if os.environ.get("REPORTGEN_MEMORY_LIMIT") else ""
        raise DatabaseError(f"cannot be opened ({str(exc).splitlines()[0]}){hint}", path=path) from None


def _attach(path: Path, config: dict) -> duckdb.DuckDBPyConnection:
    """A writable connection whose writes use ROW_GROUP_SIZE, an option only ATTACH takes: the file is
    attached to an in-memory database under the name DuckDB gives it (_RESERVED_CATALOGS aside),
    made the default (USE), and the in-memory database detached, so that cursors of the connection
    default to the file too."""
    if path.exists():
        # DuckDB writes the row groups of a large insert into the file before the transaction commits, and a
        # rollback frees them but leaves the file grown. A refused input must leave an existing database byte for
        # byte as it was, so its inserts stay in memory (spilling to the temporary folder past the memory limit)
        # until the commit. A new file is removed when its first ingest fails, and keeps the faster writes.
        config = {**config, "enable_optimistic_write": False}
    con = duckdb.connect(config=config)
    try:
        name = path.name.split(".")[0]
        name = f"{name}_db" if name.lower() in _RESERVED_CATALOGS else name
        quoted_path, quoted_name = str(path).replace("'", "''"), '"' + name.replace('"', '""') + '"'
        con.execute(f"ATTACH '{quoted_path}' AS {quoted_name} (ROW_GROUP_SIZE {ROW_GROUP_SIZE})")
        con.execute(f"USE {quoted_name}")
        con.execute("DETACH memory")
    except BaseException:
        con.close()
        raise
    return con


def scratch_dir(con: duckdb.DuckDBPyConnection) -> Path:
    """The folder for a write's scratch files: the database's own, where DuckDB spills as well."""
    return Path(scalar(con, "store/temp_directory")).parent


def connect(path: Path, *, read_only: bool = False, migrated: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the database, migrated to the current schema: a writable connection migrates it (unless
    ``migrated`` is False: the caller migrates inside its own transaction, ``migrate(within=True)``); a
    read-only one that finds a database an older reportgen wrote upgrades it first (``_upgrade``)."""
    con = _open(path, read_only)
    run(con, "store/session")
    if read_only:
        if pending_migrations(con):
            con.close()
            _upgrade(path)
            con = _open(path, read_only)
            run(con, "store/session")
    elif migrated:
        migrate(con)
    return con


def _upgrade(path: Path) -> None:
    """Migrate a database an older reportgen wrote, for a command that only reads it (after an
    upgrade, ``stats`` or ``build`` would otherwise refuse every existing database). Migrations
    add tables and derived data in one transaction: all of it, or the database as it was."""
    try:
        connect(path).close()
    except DatabaseError as exc:
        raise DatabaseError(f"was written by an older reportgen and is upgraded on first use, which needs "
                            f"writing to it, but it {exc.message}", path=path) from None


@contextmanager
def open_db(path: Path, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(path, read_only=read_only)
    try:
        yield con
    finally:
        con.close()


def _migrations() -> list[tuple[int, str, str]]:
    found = []
    for f in sqlfiles.group("schema"):
        m = _MIGRATION.match(f.name)
        if m:
            found.append((int(m.group(1)), m.group(2), f.text))
    return sorted(found)


def pending_migrations(con: duckdb.DuckDBPyConnection) -> list[tuple[int, str, str]]:
    exists = scalar(con, "store/has_migrations_table")
    applied: set[int] = set()
    if exists:
        applied = {v for (v,) in run(con, "store/applied_migrations")}
    return [m for m in _migrations() if m[0] not in applied and m[0] != 0]


def migrate(con: duckdb.DuckDBPyConnection, *, within: bool = False) -> None:
    """Apply the pending migrations in one transaction; ``within``: in the caller's, so that whatever
    undoes the caller's work (a bad input) leaves the database as it was, not migrated."""
    pending = pending_migrations(con)
    if not pending:
        return
    with contextlib.nullcontext(con) if within else transaction(con):
        run(con, "schema/000_migrations")
        for version, name, _ in pending:
            run(con, f"schema/{version:03d}_{name}")
            run(con, "store/record_migration", version=version, name=name)
        # the summaries are derived data: a schema change may change what they hold
        for (run_id,) in run(con, "store/run_ids"):
            refresh_summaries(con, run_id)


def refresh_summaries(con: duckdb.DuckDBPyConnection, run_id: int, *, items: bool = True) -> None:
    """Recompute the run's report summaries (inside the caller's transaction). Whatever changes a
    run's verdicts, items, per-order results or category hits calls this before it commits;
    ``categories.refresh`` does, so the ingest and the judge do. ``items=False``: the run's items
    are as they were (the judge), so their text need not be read again."""
    if items:
        run(con, "store/refresh_item_text", run_id=run_id)
    run(con, "store/refresh_summaries", run_id=run_id)


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """One transaction: committed when the block ends, rolled back when anything (Ctrl-C too) escapes it."""
    con.begin()
    try:
        yield con
    except BaseException:
        con.rollback()
        raise
    con.commit()


@functools.lru_cache(maxsize=None)
def _split(text: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The statements of a SQL file with their parameter names, parsed once per text (parsing a
    long report query costs a few milliseconds, as much as running it on its summary tables)."""
    return tuple((s.query, tuple(s.named_parameters)) for s in duckdb.extract_statements(text))


def _statements(query: str, params: dict) -> list[tuple[str, dict | None]]:
    out = []
    for text, names in _split(sqlfiles.sql(query)):
        missing = set(names) - set(params)
        if missing:
            raise KeyError(f"sql/{query}.sql needs parameters {', '.join(sorted(missing))}")
        out.append((text, {k: params[k] for k in names} if names else None))
    return out


def run(con: duckdb.DuckDBPyConnection, query: str, **params) -> list[tuple]:
    """Execute the named SQL file (one or more statements); return the rows of the last."""
    rows: list[tuple] = []
    for text, values in _statements(query, params):
        rows = con.execute(text, values).fetchall()
        if _KILL_AT:
            _statement_done()
    return rows


def scalar(con: duckdb.DuckDBPyConnection, query: str, **params):
    """The first value of the named query's first row (None when it returns no row)."""
    rows = run(con, query, **params)
    return rows[0][0] if rows else None


def batches(con: duckdb.DuckDBPyConnection, query: str, rows: int, **params):
    """Run the named SQL file (one statement) and return its result as a pyarrow RecordBatchReader of
    about ``rows`` rows a batch: for results too large to hold at once."""
    (text, values), = _statements(query, params)
    relation = con.sql(text, params=values)
    reader = getattr(relation, "to_arrow_reader", None) or relation.fetch_arrow_reader  # the name before DuckDB 1.4
    return reader(rows)


def on_cursor(read, cursor: duckdb.DuckDBPyConnection, *args, **kwargs):
    """``read(cursor, …)``, then ``cursor`` closed: a read on a connection of its own (``con.cursor()``),
    which a thread can run while another query runs on ``con``."""
    try:
        return read(cursor, *args, **kwargs)
    finally:
        cursor.close()


def frame(con: duckdb.DuckDBPyConnection, query: str, **params) -> pl.DataFrame:
    """Run the named SQL file and return its last statement's result as a polars DataFrame."""
    *first, (text, values) = _statements(query, params)
    for t, v in first:
        con.execute(t, v).fetchall()
        if _KILL_AT:
            _statement_done()
    result = con.sql(text, params=values).pl()
    if _KILL_AT:
        _statement_done()
    return result
