"""Report queries as polars DataFrames: the numbers ``stats``, ``query`` and the site share.

Each report is the SQL file ``sql/report/<name>.sql``, found like the failure categories:
adding a file adds a report (a view for ``query``, a method of ``Reports``, a data file of
the site). A report computes every run and judge at once; the functions here select one run."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import duckdb
import polars as pl

from reportgen import sqlfiles, store
from reportgen.errors import UsageError


def names() -> list[str]:
    """Every report, by name: the files of ``sql/report/``."""
    return [f.short_name for f in sqlfiles.group("report")]


def run_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    return store.frame(con, "report/run_list")["run"].to_list()


def check_run(con: duckdb.DuckDBPyConnection, run: str | None) -> None:
    if run is None:
        return
    known = run_names(con)
    if run not in known:
        listed = ", ".join(repr(n) for n in known) or "none yet"
        raise UsageError(f"no run named {run!r} in the database (runs: {listed}); see 'reportgen runs'")


def frame(con: duckdb.DuckDBPyConnection, name: str, run: str | None = None) -> pl.DataFrame:
    if name not in names():
        raise UsageError(f"no report named {name!r}; reports: {', '.join(names())}")
    check_run(con, run)
    df = store.frame(con, f"report/{name}")
    if run is None:
        return df
    if "run" not in df.columns:  # a report of pairs of runs: the pairs that involve the run
        return df.filter((pl.col("run_a") == run) | (pl.col("run_b") == run))
    return df.filter(pl.col("run") == run)


def register_views(con: duckdb.DuckDBPyConnection) -> None:
    """Make every report query available to ad-hoc SQL as a temporary view of the same name."""
    template = "\n".join(line for line in sqlfiles.sql("store/create_report_view").splitlines()
                          if not line.startswith("--"))
    for name in names():
        body = sqlfiles.sql(f"report/{name}").strip().rstrip(";")
        con.execute(template.replace("{view}", name).replace("{query}", "\n" + body + "\n"))


class Reports:
    """Read-only access to a reportgen database, one polars DataFrame per report, each a method
    named after its SQL file::

        from reportgen.report import Reports
        r = Reports("reportgen.duckdb")
        r.overall(run="llama31-8b-paper-qa")
        r.frame("judge_agreement")
        r.runs()  # the run_list report
    """

    def __init__(self, db: str | Path):
        self.path = Path(db)

    def frame(self, name: str, run: str | None = None) -> pl.DataFrame:
        with store.open_db(self.path, read_only=True) as con:
            return frame(con, name, run)

    def runs(self) -> pl.DataFrame:
        return self.frame("run_list")

    def __getattr__(self, name: str) -> Callable[..., pl.DataFrame]:
        if name.startswith("_") or name not in names():
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return functools.partial(self.frame, name)

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *names()})
