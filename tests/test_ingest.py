import json
from pathlib import Path

import polars as pl
import pytest

from conftest import sha256
from logwriter import LogItem, write_log
from reportgen import report, store
from reportgen.errors import InputError, UsageError
from reportgen.ingest import ingest

RUN = "llama31-8b-paper-qa"


def overall(db: Path, run: str = RUN) -> dict:
    with store.open_db(db, read_only=True) as con:
        rows = report.frame(con, "overall", run).to_dicts()
    assert len(rows) == 1
    return rows[0]


def test_example_numbers(example_db):
    o = overall(example_db)
    assert (o["items"], o["items_with_text"], o["judged"], o["base_wins"], o["finetuned_wins"], o["ties"],
            o["invalid"], o["unjudged"], o["source_unknown"], o["n"]) == (174, 53, 161, 53, 108, 0, 0, 13, 108, 161)
    assert o["unjudged_with_text"] == 0  # the 13 unjudged entries are known only by the log's count
    assert round(100 * o["finetuned_win_rate"], 1) == 67.1
    assert round(100 * o["ci_low"], 1) == 59.5 and round(100 * o["ci_high"], 1) == 73.9


def test_wilson_interval_against_python(example_db):
    from math import sqrt
    k, n, z = 108, 161, 1.959963984540054
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    o = overall(example_db)
    assert o["ci_low"] == pytest.approx(centre - half) and o["ci_high"] == pytest.approx(centre + half)


def test_example_per_paper_does_not_claim_rates(example_db):
    with store.open_db(example_db, read_only=True) as con:
        papers = report.frame(con, "papers", RUN)
    known = papers.filter(~papers["is_unknown"])
    assert known["finetuned_win_rate"].null_count() == known.height  # no fake 0 % rates
    assert known["base_wins"].sum() == 53 and known["finetuned_wins"].sum() == 0
    unknown = papers.filter(papers["is_unknown"]).row(0, named=True)
    assert (unknown["paper"], unknown["finetuned_wins"]) == ("(source unknown)", 108)
    assert "108 verdicts of this judge have no known paper" in known["rate_note"][0]


def test_log_alone_is_a_valid_ingest(tmp_path, example_log):
    db = tmp_path / "log.duckdb"
    result = ingest(db, [example_log])
    assert result.run == RUN
    o = overall(db)
    assert (o["items_with_text"], o["base_wins"], o["finetuned_wins"], o["unjudged"]) == (53, 53, 108, 13)
    assert any("53 added as items from the log's own text" in line for line in result.lines)


def test_reingest_changes_nothing(example_db, example_csv, example_log):
    before = sha256(example_db)
    result = ingest(example_db, [example_csv, example_log], run=RUN)
    assert not result.changed
    assert all("already ingested" in line for line in result.lines[1:])
    assert sha256(example_db) == before


def test_replace_redoes_the_run(example_db, example_log):
    result = ingest(example_db, [example_log], run=RUN, replace=True)
    assert result.changed and "replaced" in result.lines[0]
    o = overall(example_db)
    assert o["judged"] == 161 and o["items_with_text"] == 53


def test_two_runs_side_by_side(example_db, example_log):
    ingest(example_db, [example_log], run="checkpoint-2")
    with store.open_db(example_db, read_only=True) as con:
        assert report.run_names(con) == ["checkpoint-2", RUN]
        assert report.frame(con, "overall")["judged"].to_list() == [161, 161]


def test_full_csv_enables_positional_matching_and_per_paper_rates(tmp_path):
    items = [LogItem("BASE" if i % 3 == 0 else "FINE_TUNED", question=f"q{i}", paper=f"P{i % 2}")
             for i in range(12)]
    log = tmp_path / "run.judge.log"
    log.write_text(write_log(items), encoding="utf-8")
    csv = tmp_path / "run.csv"
    csv.write_text("question,context,true_answer,base_model_answer,finetuned_model_answer\n" +
                   "".join(f"q{i},P{i % 2},ref,base answer,ft answer\n" for i in range(12)), encoding="utf-8")
    db = tmp_path / "db.duckdb"
    result = ingest(db, [log, csv])
    assert any("8 verdicts without text matched by position" in line for line in result.lines)
    with store.open_db(db, read_only=True) as con:
        papers = report.frame(con, "papers").sort("paper").to_dicts()
    assert [(p["paper"], p["base_wins"], p["finetuned_wins"]) for p in papers] == [("P0", 2, 4), ("P1", 2, 4)]
    assert all(p["finetuned_win_rate"] == pytest.approx(4 / 6) for p in papers)
    assert all(p["ci_low"] < 4 / 6 < p["ci_high"] and p["few_items"] for p in papers)


def test_csv_that_disagrees_with_positions_is_not_matched_by_position(tmp_path):
    items = [LogItem("FINE_TUNED"), LogItem("BASE", question="q0")]
    log = tmp_path / "run.judge.log"
    log.write_text(write_log(items), encoding="utf-8")
    csv = tmp_path / "run.csv"
    csv.write_text("question,context,true_answer,base_model_answer,finetuned_model_answer\n"
                   "q0,Paper,r,b,f\nq1,Paper,r,b,f\n", encoding="utf-8")
    db = tmp_path / "db.duckdb"
    result = ingest(db, [log, csv])
    assert any("1 verdicts carry no text: kept as source unknown" in line for line in result.lines)
    assert overall(db, "run")["source_unknown"] == 1


def jsonl(tmp_path: Path, rows: list[dict], name="v.jsonl") -> Path:
    p = tmp_path / name
    p.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return p


def test_jsonl_second_judge(example_db, tmp_path):
    rows = [{"item": "1", "winner": "finetuned", "confidence": 0.9, "judge": "j2"},
            {"item": "4", "winner": "tie", "judge": "j2"},
            {"item": "5", "winner": "base", "rationale": "better sourced", "judge": "j2"}]
    ingest(example_db, [jsonl(tmp_path, rows)], run=RUN)
    with store.open_db(example_db, read_only=True) as con:
        o = report.frame(con, "overall", RUN).filter(pl.col("judge") == "j2").row(0, named=True)
    assert (o["judged"], o["base_wins"], o["finetuned_wins"], o["ties"], o["n"]) == (3, 1, 1, 1, 3)
    assert o["unjudged"] == 171 and o["unjudged_with_text"] == 50  # 121 of the log's entries have no text
    assert o["finetuned_win_rate"] == pytest.approx(1.5 / 3)   # the tie counts half
    assert o["strict_win_rate"] == pytest.approx(1 / 3)


@pytest.mark.parametrize("rows_text,message,line", [
    ('{"item": "1", "winner": "base"}\n{"item": "nope", "winner": "base"}\n', "item 'nope' is not in the run", 2),
    ('{"item": "1", "winner": "maybe"}\n', "unknown winner 'maybe'", 1),
    ('{"item": "1"}\n', 'no "winner"', 1),
    ('{"winner": "base"}\n', 'no "item" key', 1),
    ('{"item": "1", "winner": "base"\n', "invalid JSON", 1),
    ('{"item": "1", "winner": "base", "confidence": 3}\n', "confidence 3 is not a number between 0 and 1", 1),
    ('{"item": "1", "winner": "base"}\n\n{"item": "1", "winner": "tie"}\n', "already judged item '1' on line 1", 3),
])
def test_bad_jsonl_leaves_db_untouched(example_db, tmp_path, rows_text, message, line):
    p = tmp_path / "bad.jsonl"
    p.write_text(rows_text, encoding="utf-8")
    before = sha256(example_db)
    with pytest.raises(InputError) as err:
        ingest(example_db, [p], run=RUN)
    assert message in str(err.value) and err.value.line == line
    assert sha256(example_db) == before


@pytest.mark.parametrize("winner", ["base", "finetuned"])
def test_a_second_file_of_the_same_judge_does_not_judge_an_item_again(example_db, tmp_path, invoke, winner):
    """A verdict of a judge for an item the run already holds one of (an earlier file) is refused in one
    sentence naming the file, line and item, the database as it was: before, a fine-tuned win was counted
    twice and a base win ended in a traceback from the category refresh."""
    ingest(example_db, [jsonl(tmp_path, [{"item": "1", "winner": winner, "judge": "j2"},
                                         {"item": "4", "winner": "tie", "judge": "j2"}], name="first.jsonl")], run=RUN)
    again = jsonl(tmp_path, [{"item": "5", "winner": "base", "judge": "j2"},
                             {"item": "1", "winner": winner, "judge": "j2"}], name="second.jsonl")
    before = sha256(example_db)
    result = invoke("--db", example_db, "ingest", again, "--run", RUN)
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert result.output.strip().splitlines() == [
        f"Error: {again}, line 2: the run already holds a verdict of judge 'j2' for item '1'; "
        "use --replace to redo the run, or give these verdicts another judge name"]
    assert sha256(example_db) == before
    # another judge name is the way to add them
    ingest(example_db, [jsonl(tmp_path, [{"item": "1", "winner": winner, "judge": "j3"}], name="third.jsonl")], run=RUN)


def test_failed_ingest_into_new_db_leaves_no_file(tmp_path, example_csv):
    bad = tmp_path / "bad.judge.log"
    bad.write_text(write_log([LogItem("BASE")]).replace("Base Model Wins: 1", "Base Model Wins: 5"), encoding="utf-8")
    db = tmp_path / "new.duckdb"
    with pytest.raises(InputError, match="footer says 5 base wins"):
        ingest(db, [example_csv, bad])
    assert not db.exists()


def test_error_during_write_rolls_back(example_db, example_log, tmp_path):
    """A second judge log into the same run is refused in the write phase: nothing of it stays."""
    other = tmp_path / "other.judge.log"
    other.write_text(write_log([LogItem("FINE_TUNED")]), encoding="utf-8")
    before = sha256(example_db)
    with pytest.raises(InputError, match="already holds a judge log's verdicts"):
        ingest(example_db, [other], run=RUN)
    assert sha256(example_db) == before


def test_unknown_run_is_a_usage_error(example_db):
    with store.open_db(example_db, read_only=True) as con, pytest.raises(UsageError, match="no run named 'x'"):
        report.frame(con, "overall", "x")


def test_migrations_recorded_once(example_db):
    con = store.connect(example_db)
    try:
        versions = [v for (v,) in con.execute("SELECT version FROM schema_migrations").fetchall()]
    finally:
        con.close()
    assert versions == sorted(set(versions)) and versions[0] == 1


def test_not_a_database(tmp_path):
    p = tmp_path / "x.duckdb"
    p.write_text("hello, I am text", encoding="utf-8")
    with pytest.raises(store.DatabaseError, match="not a DuckDB database file"):
        store.connect(p, read_only=True)
    assert p.read_text(encoding="utf-8") == "hello, I am text"


def test_every_ingest_sql_file_is_used(tmp_path, example_csv, example_log, monkeypatch):
    used: set[str] = set()
    real = store._statements

    def spy(query, params):
        used.add(query)
        return real(query, params)
    monkeypatch.setattr(store, "_statements", spy)
    db = tmp_path / "spy.duckdb"
    ingest(db, [example_csv, example_log])
    ingest(db, [example_csv, example_log], replace=True)
    ingest(db, [jsonl(tmp_path, [{"item": "1", "winner": "tie"}])], run=RUN)
    # no id column, and mixed line endings that only polars reads
    ingest(db, [Path(__file__).parent / "bad_inputs" / "mixed_line_endings.csv"], run="mixed")
    # a repeated id: read straight into items, then staged and checked to name the rows
    with pytest.raises(InputError, match="repeats data row"):
        ingest(db, [Path(__file__).parent / "bad_inputs" / "duplicate_ids.csv"], run="repeated")
    field = Path(__file__).parent / "fixtures" / "field"
    ingest(db, [field / "arena_hard" / "model_judgment" / "judge-x" / "model-x.jsonl", field / "arena_hard" / "question.jsonl"])
    ingest(db, [field / "mt_bench" / "model_judgment" / "gpt-4_single.jsonl"], base="gpt-3.5-turbo", model="tuned-7b")
    from reportgen.sqlfiles import all_sql
    expected = {n for n in all_sql() if n.startswith(("ingest/", "store/has_", "store/applied", "store/record"))}
    assert expected - used == set()


CSV_HEADER = "id,question,context,true_answer,base_model_answer,finetuned_model_answer\n"


def test_writes_use_small_row_groups(tmp_path):
    """An ingest writes items in row groups of store.ROW_GROUP_SIZE rows, so that DuckDB scans a
    100k-item run on every core (its default, 122,880 rows, made such a run one row group)."""
    csv = tmp_path / "items.csv"
    csv.write_text(CSV_HEADER + "".join(f"k{i},q{i},p,r,b,f\n" for i in range(store.ROW_GROUP_SIZE + 1)),
                   encoding="utf-8")
    db = tmp_path / "rows.duckdb"
    ingest(db, [csv], run="rows")
    with store.open_db(db, read_only=True) as con:
        groups = con.execute("SELECT count(DISTINCT row_group_id) FROM pragma_storage_info('items')").fetchone()[0]
    assert groups == 2


def test_a_refused_later_file_leaves_a_large_write_out_of_the_file(tmp_path, example_db):
    """An items CSV of more rows than a row group, then a judge log refused for a line near its end:
    the database file is byte for byte as it was. DuckDB writes full row groups of a transaction into
    the file before it commits, and a rollback leaves the file grown; reportgen keeps an existing
    database's inserts in memory (spilling to its temporary folder) until the commit."""
    csv = tmp_path / "big.csv"
    csv.write_text(CSV_HEADER + "".join(f"k{i},q{i} {'word ' * 40},p,r,b{i},f{i}\n" for i in range(40_000)),
                   encoding="utf-8")
    bad_log = Path(__file__).parent / "bad_inputs" / "log_truncated_mid_transcript.judge.log"
    before = sha256(example_db)
    with pytest.raises(InputError, match="line 14"):
        ingest(example_db, [csv, bad_log], run="big")
    assert sha256(example_db) == before
    ingest(example_db, [csv], run="big")  # the same file alone goes in
    with store.open_db(example_db, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM items JOIN runs USING (run_id) WHERE name = 'big'").fetchone()[0] == 40_000


@pytest.mark.parametrize("name,catalog", [
    ("runs.duckdb", "runs"), ("a.b.duckdb", "a"), ("it's \"quoted\".duckdb", "it's \"quoted\""),
    ("memory.duckdb", "memory_db"), ("MAIN.x.duckdb", "MAIN_db"), ("information_schema.duckdb", "information_schema_db"),
    ("pg_catalog.duckdb", "pg_catalog_db"), ("temp.duckdb", "temp_db")])
def test_any_file_name_opens_and_its_cursors_see_it(tmp_path, example_csv, name, catalog):
    """A writer attaches the file under the name DuckDB gives it, but for DuckDB's own catalogs and
    schemas; a cursor of the connection sees the file's tables, as a read does. SQL that names the
    catalog reads the same in both where DuckDB's name is free."""
    db = tmp_path / name
    ingest(db, [example_csv], run="names")
    with store.open_db(db) as con:
        assert con.cursor().execute("SELECT current_database(), count(*) FROM items").fetchone() == (catalog, 53)
    with store.open_db(db, read_only=True) as con:
        read_name, count = con.execute("SELECT current_database(), count(*) FROM items").fetchone()
        assert count == 53 and (read_name == catalog or catalog.endswith("_db"))


def test_a_second_connection_beside_a_writer_in_one_process_is_refused_in_one_line(tmp_path, example_csv):
    from reportgen.errors import DatabaseError
    db = tmp_path / "one.duckdb"
    ingest(db, [example_csv], run="one")
    with store.open_db(db):
        for read_only in (False, True):
            with pytest.raises(DatabaseError, match="is open in another connection of this process, and a writer "
                                                    "needs it alone; close that connection first"):
                store.connect(db, read_only=read_only)


MTB_LINE = {"question_id": 1, "model_1": "a", "model_2": "b", "g1_winner": "model_1", "g2_winner": "model_1",
            "judge": ["gpt-4", "pair-v2"], "turn": 1}


def test_a_lone_surrogate_in_an_answer_file_is_refused_with_its_line(tmp_path, example_db):
    """A lone surrogate escape decodes to a str that cannot be encoded: it used to surface as a
    UnicodeEncodeError when the answers became items, after the file had been read."""
    judgments = jsonl(tmp_path, [MTB_LINE, {**MTB_LINE, "question_id": 2}], "gpt-4_pair.jsonl")
    (tmp_path / "model_answer").mkdir()
    answers = tmp_path / "model_answer" / "a.jsonl"
    answers.write_text('{"question_id": 1, "model_id": "a", "choices": [{"turns": ["fine"]}]}\n'
                       '{"question_id": 2, "model_id": "a", "choices": [{"turns": ["x\\ud800y"]}]}\n', encoding="utf-8")
    before = sha256(example_db)
    with pytest.raises(InputError) as err:
        ingest(example_db, [judgments, answers], run="mt")
    assert str(err.value) == (f"{answers}, line 2: holds the escape \\ud800, half of a UTF-16 surrogate pair, "
                              "which is not a character; fix the text")
    assert sha256(example_db) == before


def test_a_surrogate_pair_is_one_character_and_plain_lines_are_not_searched(tmp_path, example_db, monkeypatch):
    from reportgen.ingest import common
    calls = []
    real = common._lone_surrogate
    monkeypatch.setattr(common, "_lone_surrogate", lambda obj: calls.append(obj) or real(obj))
    p = tmp_path / "pair.jsonl"
    p.write_text('{"item": "1", "winner": "base", "judge": "j2"}\n'
                 '{"item": "4", "winner": "tie", "rationale": "an emoji \\ud83d\\ude00", "judge": "j2"}\n',
                 encoding="utf-8")
    ingest(example_db, [p], run=RUN)
    assert len(calls) == 1  # only the line whose raw text holds a \udXXX escape
    with store.open_db(example_db, read_only=True) as con:
        assert con.execute("SELECT rationale FROM verdicts WHERE judge = 'j2' AND rationale IS NOT NULL"
                           ).fetchone()[0] == "an emoji \U0001F600"


def test_a_key_twice_in_a_nested_object_is_refused(tmp_path):
    p = tmp_path / "judgments.jsonl"
    p.write_text('{"question_id": "q1", "model": "m", "games": [{"score": "A>B"}, {"score": "B>A"}]}\n'
                 '{"question_id": "q2", "model": "m", "games": [{"score": "A>B", "score": "B>A"}, null]}\n',
                 encoding="utf-8")
    with pytest.raises(InputError) as err:
        ingest(tmp_path / "x.duckdb", [p])
    assert str(err.value) == f"{p}, line 2: key 'score' appears twice; keep one"
    assert not (tmp_path / "x.duckdb").exists()


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_a_nul_byte_anywhere_is_refused_with_its_line(tmp_path, example_db, newline):
    """check_readable sniffs the first bytes only; a NUL past them (here in the second 1 MiB chunk the
    digest reads) is refused in the pass that computes the file's digest."""
    header = "question,context,true_answer,base_model_answer,finetuned_model_answer"
    rows = [f"q{i},p,r,{'b' * 200},f" for i in range(6000)]
    rows[5000] = "q5000,p,r,b\x00b,f"
    p = tmp_path / "nul.csv"
    p.write_bytes(newline.join([header, *rows, ""]).encode("utf-8"))
    assert p.read_bytes().index(b"\x00") > 2**20
    before = sha256(example_db)
    with pytest.raises(InputError) as err:
        ingest(example_db, [p], run="nul")
    assert str(err.value) == (f"{p}, line 5002: holds a NUL byte at column 12, which a text file must not hold; "
                              "remove it")
    assert sha256(example_db) == before
