"""Every SQL file: documented by its first line, and the report and category files executed."""

import polars as pl
import pytest

from reportgen import categories, report, store
from reportgen.sqlfiles import all_sql

ALL = sorted(all_sql())


@pytest.mark.parametrize("name", ALL)
def test_every_sql_file_opens_with_a_comment(name):
    assert all_sql()[name].description, f"sql/{name}.sql must start with a '-- what it computes' line"


# reports that the bundled example alone must fill (others need e.g. a local judge's both-order verdicts)
FILLED_BY_EXAMPLE = {"report/overall", "report/papers", "report/categories", "report/paper_categories",
                     "report/transcripts", "report/run_list"}


@pytest.mark.parametrize("name", [n for n in ALL if n.startswith("report/")])
def test_report_queries_run(example_db, name):
    with store.open_db(example_db, read_only=True) as con:
        df = store.frame(con, name)
    assert "run" in df.columns or {"run_a", "run_b"} <= set(df.columns)
    if name in FILLED_BY_EXAMPLE:
        assert df.height > 0


@pytest.mark.parametrize("name", [n for n in ALL if n.startswith("categories/")])
def test_category_queries_run_and_match_something(example_db, name):
    with store.open_db(example_db, read_only=True) as con:
        hits = store.frame(con, name, run_id=1)
        wins = store.frame(con, "report/transcripts")
    assert list(hits.columns) == list(categories.COLUMNS)
    assert 0 < hits.height < wins.height + 1
    assert set(hits["item_key"]) <= set(wins["item_key"])
    assert all(e.strip() for e in hits["evidence"])


def test_category_counts_on_the_example(example_db):
    with store.open_db(example_db, read_only=True) as con:
        counts = dict(report.frame(con, "categories").select("category", "hits").iter_rows())
    assert counts == {"shorter_answer": 45, "source_citation": 44, "copied_metadata": 13,
                      "further_from_reference": 5, "cites_other_paper": 4, "truncated": 1}


def test_paper_by_category_adds_up(example_db):
    with store.open_db(example_db, read_only=True) as con:
        pc = report.frame(con, "paper_categories")
        cats = report.frame(con, "categories")
    totals = pc.group_by("category").agg(pl.col("hits").sum())
    assert dict(totals.iter_rows()) == dict(cats.select("category", "hits").iter_rows())


def test_adding_a_category_file_adds_a_category(example_db, monkeypatch, tmp_path):
    import shutil
    from reportgen import resources, sqlfiles
    root = tmp_path / "sql"
    shutil.copytree(resources.resource_dir("sql"), root)
    (root / "categories" / "mentions_survey.sql").write_text(
        "-- Fine-tuned answer mentions a survey.\n"
        "SELECT run_id, judge, item_key, 'says survey' AS evidence FROM base_wins "
        "WHERE finetuned_answer ILIKE '%survey%';\n", encoding="utf-8")
    monkeypatch.setattr(sqlfiles, "resource_dir", lambda name: root)
    sqlfiles.all_sql.cache_clear()
    try:
        con = store.connect(example_db)
        try:
            con.begin()
            categories.refresh(con, 1)
            con.commit()
            counts = dict(report.frame(con, "categories").select("category", "hits").iter_rows())
        finally:
            con.close()
    finally:
        sqlfiles.all_sql.cache_clear()
    assert counts["mentions_survey"] > 0 and counts["shorter_answer"] == 45
