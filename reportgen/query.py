"""Ad-hoc SQL: read-only by default, with the report queries available as views."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from reportgen import report, store
from reportgen.errors import QueryError

READ_ONLY_TYPES = {"SELECT", "EXPLAIN"}


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
    with store.open_db(db, read_only=not write) as con:
        report.register_views(con)
        try:
            for st in statements[:-1]:
                con.execute(st.query).fetchall()
            last = statements[-1]
            if last.type.name in READ_ONLY_TYPES:
                return con.sql(last.query).pl()
            rows = con.execute(last.query).fetchall()
            changed = rows[0][0] if rows and len(rows[0]) == 1 and isinstance(rows[0][0], int) else None
            return f"ok ({changed} rows changed)" if changed is not None else "ok"
        except duckdb.Error as exc:
            raise QueryError(f"the query failed: {_first_line(exc)}") from None


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0]
