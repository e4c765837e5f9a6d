"""Ad-hoc SQL: read-only by default, with the report queries available as views."""

from __future__ import annotations

import contextlib
from pathlib import Path

import duckdb
import polars as pl

from reportgen import categories, report, store
from reportgen.errors import QueryError

READ_ONLY_TYPES = {"SELECT", "EXPLAIN"}
_UNSHOWN_TYPES = ("INTERVAL", "UNION")  # DuckDB types a polars frame cannot hold


def run_query(db: Path, sql: str, *, write: bool = False) -> pl.DataFrame | str:
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryError(f"the SQL does not parse: {_first_line(exc)}") from None
    if not statements:
        raise QueryError("the SQL is empty; give a statement such as \"SELECT * FROM overall\"")
    if not write:
        for st in statements:
            kind = st.type.name
            if kind not in READ_ONLY_TYPES:
                raise QueryError(f"{kind} statements can change the database or files, and query is read-only; "
                                 "add --write to allow it")
    if write:  # --write changes a database; it does not make one
        store.require_db(db)
    writes = [st for st in statements if st.type.name not in READ_ONLY_TYPES]
    # Statements that write run in one transaction with the summaries' refresh: all of it, or nothing
    # (unless they manage transactions themselves).
    own = bool(writes) and not any(st.type.name == "TRANSACTION" for st in statements)
    with store.open_db(db, read_only=not write) as con:
        report.register_views(con)
        try:
            with store.transaction(con) if own else contextlib.nullcontext(con):
                result = _run(con, statements)
                if writes:
                    # what the reports read is derived from the tables the SQL may have changed
                    for (run_id,) in store.run(con, "store/run_ids"):
                        categories.refresh(con, run_id)
            return result
        except duckdb.Error as exc:
            raise QueryError(f"the query failed: {_first_line(exc)}"
                             + ("; nothing was changed" if own else "")) from None


def _run(con: duckdb.DuckDBPyConnection, statements: list) -> pl.DataFrame | str:
    for st in statements[:-1]:
        con.execute(st.query).fetchall()
    last = statements[-1]
    if last.type.name in READ_ONLY_TYPES:
        relation = con.sql(last.query)
        try:
            return relation.pl()
        except Exception as exc:  # a type polars cannot hold (INTERVAL, UNION, ...): the failure is polars'
            if isinstance(exc, duckdb.Error):
                raise
            odd = [(name, str(kind)) for name, kind in zip(relation.columns, relation.types)
                   if str(kind).startswith(_UNSHOWN_TYPES)] or [(relation.columns[0], "an unsupported type")]
            name, kind = odd[0]
            raise QueryError(f"the result's column {name!r} is of type {kind}, which query cannot show; cast it, "
                             f"e.g. CAST({name} AS VARCHAR)") from None
    rows = con.execute(last.query).fetchall()
    changed = rows[0][0] if rows and len(rows[0]) == 1 and isinstance(rows[0][0], int) else None
    return f"ok ({changed} rows changed)" if changed is not None else "ok"


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0]
