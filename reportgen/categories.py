"""Failure categories: why the base model won. Each ``sql/categories/<name>.sql`` selects
``run_id, judge, item_key, evidence`` from the ``base_wins`` view for the run ``$run_id``;
adding a file adds a category. Hits are stored in ``item_categories`` whenever a run's
verdicts change, and the run's report summaries are recomputed with them."""

from __future__ import annotations

import duckdb
import polars as pl

from reportgen import sqlfiles, store
from reportgen.errors import InputError

COLUMNS = {"run_id": pl.Int32, "judge": pl.String, "item_key": pl.String, "evidence": pl.String}


def definitions() -> list[sqlfiles.SqlFile]:
    return sqlfiles.group("categories")


def needs_reference() -> set[str]:
    """Categories whose file says ``-- needs: reference_answer``: they skip base wins without one."""
    return {f.short_name for f in definitions() if "-- needs: reference_answer" in f.text}


def compute(con: duckdb.DuckDBPyConnection, run_id: int) -> pl.DataFrame:
    frames = []
    for f in definitions():
        try:
            hits = store.frame(con, f.name, run_id=run_id)
        except (duckdb.Error, KeyError) as exc:  # KeyError: it needs a parameter other than $run_id
            reason = exc.args[0] if isinstance(exc, KeyError) else str(exc).strip().splitlines()[0]
            raise InputError(f"the category query fails ({reason}); fix it or remove the file", path=f.path) from None
        missing = set(COLUMNS) - set(hits.columns)
        if missing:
            raise InputError(f"a category query must select {', '.join(COLUMNS)}; this one lacks "
                             f"{', '.join(sorted(missing))}", path=f.path)
        try:
            hits = hits.filter(pl.col("run_id") == run_id).select(*(pl.col(c).cast(t) for c, t in COLUMNS.items()))
        except pl.exceptions.PolarsError as exc:
            raise InputError(f"a category query's columns must be {', '.join(f'{c} {t}' for c, t in COLUMNS.items())} "
                             f"({str(exc).strip().splitlines()[0]})", path=f.path) from None
        frames.append(hits.with_columns(pl.lit(f.short_name).alias("category")))
    if not frames:
        return pl.DataFrame(schema={**COLUMNS, "category": pl.String})
    return pl.concat(frames)


def refresh(con: duckdb.DuckDBPyConnection, run_id: int, *, hits: bool = True, items: bool = True) -> None:
    """Recompute the run's category hits (``hits=False``: keep them, e.g. after a verdict that is
    not a base win) and then its report summaries, inside the caller's transaction (``items=False``:
    the run's items did not change, ``store.refresh_summaries``)."""
    if hits:
        store.run(con, "ingest/clear_categories", run_id=run_id)
        staged = compute(con, run_id)
        con.register("staged_categories", staged.to_arrow())
        try:
            store.run(con, "ingest/insert_categories", run_id=run_id)
        finally:
            con.unregister("staged_categories")
    store.refresh_summaries(con, run_id, items=items)
