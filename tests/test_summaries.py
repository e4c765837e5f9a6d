"""The report summaries (migrations 005 and 006): every report that reads them returns the rows the same
query computed from the raw tables before (tests/fixtures/reports_from_raw_tables/), on a
database with the bundled example, a JSONL judge, a two-order judge, a second run, verdicts
without a known item and the field formats; they stay current through ingest, --replace, the
judge and --rejudge, and an older database gets them when it is migrated."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from judge_fake import FakeJudge, prefers_first, prefers_longer
from reportgen import store
from reportgen.errors import DatabaseError
from reportgen.demo import EXAMPLE_RUN, example_files
from reportgen.ingest import ingest
from reportgen.judge import judge_run
from reportgen.resources import resource_dir

ORACLES = Path(__file__).resolve().parent / "fixtures" / "reports_from_raw_tables"
FIELD = Path(__file__).resolve().parent / "fixtures" / "field"
SUMMARISED = sorted(p.stem for p in ORACLES.glob("*.sql"))


def _jsonl(path: Path, keys: list[str]) -> Path:
    winners = ("base", "finetuned", "tie", "invalid", "finetuned")
    rows = [{"item": k, "winner": winners[i % 5], "judge": "j2", **({"confidence": 0.6 + i % 4 / 10} if i % 3 else {})}
            for i, k in enumerate(keys)]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def rich_db(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("summaries")
    db = tmp / "rich.duckdb"
    csv, log = example_files()
    ingest(db, [csv, log], run=EXAMPLE_RUN)
    with store.open_db(db, read_only=True) as con:
        keys = [k for (k,) in con.execute("SELECT item_key FROM items ORDER BY position NULLS LAST, item_key").fetchall()]
    ingest(db, [_jsonl(tmp / "j2.jsonl", keys[:40])], run=EXAMPLE_RUN)         # a second judge, partly
    judge_run(db, FakeJudge(prefers_longer), run=EXAMPLE_RUN, limit=30)        # two orders per item
    ingest(db, [log], run="checkpoint-2")                                     # verdicts without a known item
    ingest(db, [csv, log], run="checkpoint-3")                                # the same items: paired across runs
    judge_run(db, FakeJudge(prefers_first, name="local:first"), run="checkpoint-3", limit=12)
    ingest(db, [FIELD / "alpaca_eval" / "annotations.json"], run="alpaca")     # P(fine-tuned better)
    ingest(db, [FIELD / "arena_hard" / "model_judgment" / "judge-x" / "model-x.jsonl",
                FIELD / "arena_hard" / "question.jsonl"], run="arena")           # graded two-game battles
    mt = FIELD / "mt_bench"
    ingest(db, [mt / "model_judgment" / "gpt-4_pair.jsonl", mt / "question.jsonl",
                mt / "model_answer" / "tuned-7b.jsonl", mt / "model_answer" / "gpt-3.5-turbo.jsonl",
                mt / "reference_answer" / "gpt-4.jsonl"], model="tuned-7b", run="mt")
    return db


def _compare(db: Path) -> None:
    with store.open_db(db, read_only=True) as con:
        # every item's stored text digest and lengths are those of its text now, and no other item has one
        stale = con.sql("""
            SELECT coalesce(i.run_id, d.run_id) AS run_id, coalesce(i.item_key, d.item_key) AS item_key
            FROM items i FULL JOIN summary_item_text d USING (run_id, item_key)
            WHERE d.text_digest IS DISTINCT FROM hash(i.question, i.reference_answer, i.base_answer, i.finetuned_answer)
               OR d.len_reference IS DISTINCT FROM length(i.reference_answer)
               OR d.len_base IS DISTINCT FROM length(i.base_answer)
               OR d.len_finetuned IS DISTINCT FROM length(i.finetuned_answer)""").fetchall()
        assert not stale, f"summary_item_text is not current for {stale[:5]}"
        for name in SUMMARISED:
            now = store.frame(con, f"report/{name}")
            before = con.sql((ORACLES / f"{name}.sql").read_text(encoding="utf-8")).pl()
            # same columns, types, rows and order; floats up to the order in which sums were added
            try:
                assert_frame_equal(now, before, check_exact=False, rel_tol=1e-12, abs_tol=1e-12)
            except AssertionError as exc:
                raise AssertionError(f"report/{name}: {exc}") from None


def test_every_summarised_report_equals_the_raw_table_query(rich_db):
    with store.open_db(rich_db, read_only=True) as con:
        filled = {name: store.frame(con, f"report/{name}").height for name in SUMMARISED}
    assert all(filled.values()), f"the test data leaves a report empty: {filled}"
    _compare(rich_db)


def test_summaries_follow_replace_and_rejudge(rich_db, tmp_path):
    db = tmp_path / "changed.duckdb"
    shutil.copy(rich_db, db)
    csv, log = example_files()
    ingest(db, [log], run="checkpoint-3", replace=True)       # items and verdicts of a run replaced
    judge_run(db, FakeJudge(prefers_first), run=EXAMPLE_RUN, limit=10, rejudge=True)
    judge_run(db, FakeJudge(prefers_longer, sha="other"), run=EXAMPLE_RUN, limit=3, rejudge=True)  # new model
    _compare(db)


def test_an_answer_changed_under_the_same_item_key_gets_a_new_text_digest(rich_db, tmp_path):
    db = tmp_path / "edited.duckdb"
    shutil.copy(rich_db, db)
    csv, log = example_files()
    rows = pl.read_csv(csv, infer_schema_length=0)
    edited = tmp_path / "edited.csv"
    rows.with_columns(pl.when(pl.int_range(pl.len()) == 0).then(pl.col("base_model_answer") + " (edited)")
                      .otherwise(pl.col("base_model_answer")).alias("base_model_answer")).write_csv(edited)
    with store.open_db(db, read_only=True) as con:
        before = dict(con.execute("SELECT item_key, text_digest FROM summary_item_text JOIN runs USING (run_id) "
                                  "WHERE name = 'checkpoint-3'").fetchall())
    ingest(db, [edited, log], run="checkpoint-3", replace=True)  # the same item keys, one answer longer
    with store.open_db(db, read_only=True) as con:
        after = dict(con.execute("SELECT item_key, text_digest FROM summary_item_text JOIN runs USING (run_id) "
                                 "WHERE name = 'checkpoint-3'").fetchall())
    assert before.keys() == after.keys()
    assert sum(before[k] != after[k] for k in before) == 1
    _compare(db)


def test_only_an_ingest_that_writes_items_reads_their_text_again(rich_db, tmp_path, monkeypatch):
    db = tmp_path / "more.duckdb"
    shutil.copy(rich_db, db)
    ran: list[str] = []
    run = store.run
    monkeypatch.setattr(store, "run", lambda con, query, **params: ran.append(query) or run(con, query, **params))
    with store.open_db(db, read_only=True) as con:
        keys = [k for (k,) in con.execute("SELECT item_key FROM items JOIN runs USING (run_id) WHERE name = ? "
                                          "ORDER BY item_key", [EXAMPLE_RUN]).fetchall()]
    jsonl = _jsonl(tmp_path / "j3.jsonl", keys[:20])
    jsonl.write_text(jsonl.read_text(encoding="utf-8").replace('"j2"', '"j3"'), encoding="utf-8")
    ingest(db, [jsonl], run=EXAMPLE_RUN)  # verdicts alone: the items are as they were
    assert "store/refresh_summaries" in ran and "store/refresh_item_text" not in ran
    ran.clear()
    ingest(db, [example_files()[0]], run="items-only")
    assert "store/refresh_item_text" in ran
    _compare(db)


def test_an_older_database_gets_its_summaries_when_migrated(rich_db, tmp_path):
    db = tmp_path / "old.duckdb"
    shutil.copy(rich_db, db)
    con = duckdb.connect(str(db))
    for (table,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'summary_%'").fetchall():
        con.execute(f"DROP TABLE {table}")
    con.execute("DELETE FROM schema_migrations WHERE version >= 5")
    con.close()
    # a command that only reads (stats, build, query) upgrades it first: after an upgrade of
    # reportgen no existing database is refused
    store.connect(db, read_only=True).close()
    _compare(db)


def test_an_older_database_that_cannot_be_written_is_refused_in_one_sentence(rich_db, tmp_path, monkeypatch):
    db = tmp_path / "old.duckdb"
    shutil.copy(rich_db, db)
    con = duckdb.connect(str(db))
    con.execute("DROP TABLE summary_item_text")
    con.execute("DELETE FROM schema_migrations WHERE version = 6")
    con.close()
    before = db.read_bytes()
    opened = store._open

    def read_only_file(path, read_only):
        if not read_only:
            raise DatabaseError("cannot be opened (permission denied); fix the permissions of the file and its "
                                "folder, or pass another --db", path=path)
        return opened(path, read_only)

    monkeypatch.setattr(store, "_open", read_only_file)
    with pytest.raises(DatabaseError) as caught:
        store.connect(db, read_only=True)
    assert str(caught.value) == (f"{db}: was written by an older reportgen and is upgraded on first use, which needs "
                                 "writing to it, but it cannot be opened (permission denied); fix the permissions of "
                                 "the file and its folder, or pass another --db")
    assert db.read_bytes() == before


def test_a_refused_ingest_leaves_a_database_to_upgrade_as_it_was(rich_db, tmp_path, invoke):
    """The upgrade runs in the ingest's transaction: refusing the input undoes it too (the file is
    byte-identical), and the next command that writes upgrades it."""
    db = tmp_path / "old.duckdb"
    shutil.copy(rich_db, db)
    con = duckdb.connect(str(db))
    last = con.execute("SELECT max(version) FROM schema_migrations").fetchone()[0]
    con.execute("DELETE FROM schema_migrations WHERE version = ?", [last])
    con.close()
    before = db.read_bytes()
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"item": "no such item", "winner": "base"}\n', encoding="utf-8")
    run = duckdb.connect(str(db), read_only=True).execute("SELECT name FROM runs LIMIT 1").fetchone()[0]
    r = invoke("--db", db, "ingest", bad, "--run", run)
    assert r.exit_code == 1 and r.output.count("\n") == 1
    assert db.read_bytes() == before and not db.with_name(db.name + ".wal").exists()
    store.connect(db).close()
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT max(version) FROM schema_migrations").fetchone()[0] == last
    con.close()


def test_migration_008_recomputes_the_summaries_it_changed(rich_db, tmp_path):
    """A database written before migration 008 (summary tables of 005's shape, paired by key alone, McNemar on the
    flips, a normal interval, first-position rate over every order) holds the new figures once opened for writing."""
    db = tmp_path / "before_008.duckdb"
    shutil.copy(rich_db, db)
    schema_005 = (resource_dir("sql") / "schema" / "005_report_summaries.sql").read_text("utf-8")
    con = duckdb.connect(str(db))
    for table in ("summary_judges", "summary_judge_pairs", "summary_paired", "summary_reliability"):
        con.execute(f"DROP TABLE {table}")
    for statement in "\n".join(line.split("--")[0] for line in schema_005.splitlines()).split(";"):
        if any(f"CREATE TABLE {t} " in statement for t in ("summary_judges", "summary_judge_pairs", "summary_paired",
                                                             "summary_reliability")):
            con.execute(statement)
    con.execute("DELETE FROM schema_migrations WHERE version = 8")
    con.close()
    store.connect(db).close()
    _compare(db)
    with store.open_db(db, read_only=True) as con:
        assert con.execute("SELECT typeof(battles) FROM summary_judges LIMIT 1").fetchone()[0] == "BIGINT"
        assert con.execute("SELECT count(*) FROM schema_migrations WHERE version = 8").fetchone()[0] == 1
