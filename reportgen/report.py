"""Report queries as polars DataFrames: the numbers ``stats``, ``query`` and the site share.

Each report is the SQL file ``sql/report/<name>.sql``; it computes every run and judge at
once, and the functions here select one run."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from reportgen import sqlfiles, store
from reportgen.errors import UsageError

REPORTS = ("overall", "papers", "categories", "paper_categories", "transcripts", "run_list")
REPORTS += ("reliability", "judge_agreement", "judge_disagreements", "paired_comparison")


def run_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    return store.frame(con, "report/run_list")["run"].to_list()


def check_run(con: duckdb.DuckDBPyConnection, run: str | None) -> None:
    if run is None:
        return
    names = run_names(con)
    if run not in names:
        listed = ", ".join(repr(n) for n in names) or "none yet"
        raise UsageError(f"no run named {run!r} in the database (runs: {listed}); see 'reportgen runs'")


def frame(con: duckdb.DuckDBPyConnection, name: str, run: str | None = None) -> pl.DataFrame:
    if name not in REPORTS:
        raise UsageError(f"no report named {name!r}; reports: {', '.join(REPORTS)}")
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
    for name in REPORTS:
        body = sqlfiles.sql(f"report/{name}").strip().rstrip(";")
        con.execute(template.replace("{view}", name).replace("{query}", "\n" + body + "\n"))


def sql_text(name: str) -> str:
    return sqlfiles.sql(f"report/{name}")


class Reports:
    """Read-only access to a reportgen database, one polars DataFrame per report::

        from reportgen.report import Reports
        r = Reports("reportgen.duckdb")
        r.overall(run="llama31-8b-paper-qa")
    """

    def __init__(self, db: str | Path):
        self.path = Path(db)

    def _get(self, name: str, run: str | None) -> pl.DataFrame:
        with store.open_db(self.path, read_only=True) as con:
            return frame(con, name, run)

    def overall(self, run: str | None = None) -> pl.DataFrame:
        return self._get("overall", run)

    def papers(self, run: str | None = None) -> pl.DataFrame:
        return self._get("papers", run)

    def categories(self, run: str | None = None) -> pl.DataFrame:
        return self._get("categories", run)

    def paper_categories(self, run: str | None = None) -> pl.DataFrame:
        return self._get("paper_categories", run)

    def transcripts(self, run: str | None = None) -> pl.DataFrame:
        return self._get("transcripts", run)

    def runs(self) -> pl.DataFrame:
        return self._get("run_list", None)
