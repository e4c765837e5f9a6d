"""report.py: the reports are the files of sql/report/, and a new file reaches every place a
report shows up: report.frame, the Reports API, the views of `query`, the site's data files."""

from __future__ import annotations

import shutil

import pytest

from reportgen import report, sqlfiles, store
from reportgen.demo import EXAMPLE_RUN
from reportgen.query import run_query
from reportgen.report import Reports
from reportgen.resources import resource_dir


def test_reports_are_the_files_of_sql_report(example_db):
    files = sorted(p.stem for p in (resource_dir("sql") / "report").glob("*.sql"))
    assert report.names() == files and len(files) >= 9
    r = Reports(example_db)
    for name in files:
        df = getattr(r, name)(run=EXAMPLE_RUN) if name != "run_list" else r.runs()
        with store.open_db(example_db, read_only=True) as con:
            assert df.equals(report.frame(con, name, EXAMPLE_RUN)), name
    assert r.overall(EXAMPLE_RUN)["finetuned_wins"].to_list() == [108]
    assert r.frame("papers")["base_wins"].sum() == 53
    assert set(files) <= set(dir(r))
    with pytest.raises(AttributeError, match="no attribute 'no_such_report'"):
        r.no_such_report()


@pytest.fixture
def extra_report(tmp_path, monkeypatch):
    """The bundled sql/ folder plus one more report file, sql/report/base_win_count.sql."""
    sql = tmp_path / "sql"
    shutil.copytree(resource_dir("sql"), sql)
    (sql / "report" / "base_win_count.sql").write_text(
        "-- Base wins per run and judge.\n"
        "SELECT r.name AS run, b.judge, count(*) AS base_wins FROM base_wins b JOIN runs r USING (run_id)\n"
        "GROUP BY ALL ORDER BY ALL;\n", encoding="utf-8")
    monkeypatch.setattr(sqlfiles, "resource_dir", lambda name: sql if name == "sql" else resource_dir(name))
    sqlfiles.all_sql.cache_clear()
    yield "base_win_count"
    sqlfiles.all_sql.cache_clear()


def test_a_new_report_file_is_a_report_everywhere(example_db, extra_report, tmp_path):
    from reportgen import site as site_mod
    from reportgen.site import data
    assert extra_report in report.names()
    assert Reports(example_db).base_win_count(run=EXAMPLE_RUN).row(0, named=True)["base_wins"] == 53
    assert run_query(example_db, "SELECT sum(base_wins) AS n FROM base_win_count")["n"].to_list() == [53]
    tables = data.tables()
    assert tables.index(extra_report) == tables.index("runs") - 1  # after the known reports, by name
    files, _, _ = site_mod.collect(example_db, search=False)
    assert files["data/base_win_count.csv"].decode("utf-8").splitlines()[1] == f"{EXAMPLE_RUN},imported-log,53"
    assert "data/base_win_count.parquet" in files
    assert 'href="data/base_win_count.csv">base_win_count.csv</a>' in files["index.html"].decode("utf-8")
