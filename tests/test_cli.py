import json
import subprocess
import sys

import pytest

from conftest import sha256

RUN = "llama31-8b-paper-qa"


def test_stats_reproduces_the_example(invoke, example_db):
    r = invoke("--db", example_db, "stats")
    assert r.exit_code == 0, r.output
    for needle in ["judged               161", "base wins            53", "fine-tuned wins      108",
                   "unjudged             13", "ties                 0",
                   "fine-tuned win rate  67.1 % (108/161, 95 % CI 59.5–73.9 %)",
                   "source unknown       108 verdicts", "shorter_answer            45",
                   "source_citation           44", "(source unknown)",
                   # only the base wins carry both answers: the note says which items it is about
                   "so no length effect can be estimated; that is over the 53 of the 161 judged items with "
                   "both answers' text"]:
        assert needle in r.output


@pytest.mark.parametrize("fmt", ["csv", "json", "markdown"])
def test_stats_formats(invoke, example_db, fmt):
    r = invoke("stats", "--db", example_db, "--format", fmt)
    assert r.exit_code == 0
    if fmt == "json":
        data = json.loads(r.output)
        assert data["overall"][0]["finetuned_wins"] == 108
        assert sum(p["base_wins"] for p in data["papers"]) == 53
    elif fmt == "csv":
        assert "run,judge,synthetic,items,items_with_text,judged" in r.output
    else:
        assert "## overall" in r.output and "| run | judge |" in r.output


def test_db_from_environment(invoke, example_db, monkeypatch):
    monkeypatch.setenv("REPORTGEN_DB", str(example_db))
    r = invoke("runs")
    assert r.exit_code == 0 and RUN in r.output and "174" in r.output


def test_default_db_in_working_directory(invoke, example_db, monkeypatch, tmp_path):
    monkeypatch.chdir(example_db.parent)
    example_db.rename(example_db.parent / "reportgen.duckdb")
    r = invoke("query", "SELECT count(*) AS n FROM verdicts", "--format", "csv")
    assert r.output == "n\n161\n"


@pytest.mark.parametrize("fmt,expected", [
    ("csv", "winner,n\nbase,53\nfinetuned,108\n"),
    ("json", '[\n  {\n    "winner": "base",\n    "n": 53\n  },\n  {\n    "winner": "finetuned",\n    "n": 108\n  }\n]\n'),
    ("markdown", "| winner | n |\n| --- | ---: |\n| base | 53 |\n| finetuned | 108 |\n"),
    ("table", "winner       n\n---------  ---\nbase        53\nfinetuned  108\n(2 rows)\n"),
])
def test_query_formats(invoke, example_db, fmt, expected):
    r = invoke("--db", example_db, "query", "SELECT winner, count(*) AS n FROM verdicts GROUP BY 1 ORDER BY 1",
               "--format", fmt)
    assert r.exit_code == 0 and r.output == expected


def test_query_report_views(invoke, example_db):
    r = invoke("--db", example_db, "query",
               "SELECT (SELECT judged FROM overall) AS judged, (SELECT sum(hits) FROM categories) AS hits, "
               "(SELECT count(*) FROM transcripts) AS t, (SELECT count(*) FROM paper_categories) > 0 AS pc, "
               "(SELECT count(*) FROM run_list) AS runs", "--format", "csv")
    assert r.exit_code == 0, r.output
    assert r.output.splitlines()[1] == "161,112,53,true,1"


@pytest.mark.parametrize("sql", ["DELETE FROM verdicts", "DROP TABLE runs", "COPY verdicts TO 'x.csv'",
                                 "ATTACH 'other.duckdb'", "SELECT 1; INSERT INTO runs (name) VALUES ('x')"])
def test_query_is_read_only(invoke, example_db, sql):
    before = sha256(example_db)
    r = invoke("--db", example_db, "query", sql)
    assert r.exit_code == 1
    assert "query is read-only; add --write to allow it" in r.output
    assert "Traceback" not in r.output
    assert sha256(example_db) == before


def test_query_write(invoke, example_db):
    r = invoke("--db", example_db, "query", "UPDATE runs SET synthetic = true", "--write")
    assert r.exit_code == 0 and "1 rows changed" in r.output
    assert "true" in invoke("--db", example_db, "query", "SELECT synthetic FROM runs", "--format", "csv").output


def test_query_write_is_all_or_nothing_and_keeps_the_reports_true(invoke, example_db, tmp_path):
    """Several statements run in one transaction: a failing one undoes those before it. What they change
    reaches the reports (their summaries are refreshed in the same transaction). --write opens an existing
    database only."""
    count = "SELECT count(*) AS n FROM verdicts"
    r = invoke("--db", example_db, "query", "--write", "DELETE FROM verdicts; SELECT * FROM nosuch")
    assert r.exit_code == 1 and r.output.endswith("; nothing was changed\n") and r.output.count("\n") == 1
    assert invoke("--db", example_db, "query", count, "--format", "csv").output == "n\n161\n"
    r = invoke("--db", example_db, "query", "--write", "DELETE FROM verdicts WHERE winner = 'base'")
    assert r.exit_code == 0 and "53 rows changed" in r.output
    overall = invoke("--db", example_db, "query", "SELECT judged, base_wins FROM overall", "--format", "csv").output
    assert overall == "judged,base_wins\n108,0\n"
    assert invoke("--db", example_db, "query", "SELECT count(*) AS n FROM item_categories", "--format", "csv"
                  ).output == "n\n0\n"
    r = invoke("--db", tmp_path / "typo.duckdb", "query", "--write", "SELECT 1")
    assert r.exit_code == 1 and "no such database" in r.output and not (tmp_path / "typo.duckdb").exists()


@pytest.mark.parametrize("fmt", ["table", "markdown", "csv"])
def test_query_shows_infinity_and_names_a_type_it_cannot_show(invoke, example_db, fmt):
    r = invoke("--db", example_db, "query", "SELECT 'inf'::DOUBLE AS x, '-inf'::DOUBLE AS y", "--format", fmt)
    assert r.exit_code == 0 and "inf" in r.output and "-inf" in r.output
    r = invoke("--db", example_db, "query", "SELECT 1 AS a, INTERVAL 3 DAY AS i", "--format", fmt)
    assert r.exit_code == 1 and r.output == ("Error: the result's column 'i' is of type INTERVAL, which query cannot "
                                             "show; cast it, e.g. CAST(i AS VARCHAR)\n")


def test_query_errors_are_one_line(invoke, example_db):
    r = invoke("--db", example_db, "query", "SELECT nope FROM verdicts")
    assert r.exit_code == 1 and r.output.startswith("Error: the query failed: Binder Error")
    assert len(r.output.strip().splitlines()) == 1


def test_missing_db(invoke, tmp_path):
    r = invoke("--db", tmp_path / "none.duckdb", "stats")
    assert r.exit_code == 1
    assert "none.duckdb: no such database; create it with 'reportgen ingest FILE…'" in r.output
    assert not (tmp_path / "none.duckdb").exists()


def test_unknown_run(invoke, example_db):
    r = invoke("--db", example_db, "stats", "--run", "nope")
    assert r.exit_code == 1 and "no run named 'nope'" in r.output


def test_ingest_command_prints_matches(invoke, tmp_path, example_csv, example_log):
    db = tmp_path / "x.duckdb"
    r = invoke("ingest", example_log, example_csv, "--db", db)
    assert r.exit_code == 0, r.output
    assert "53 transcripts matched to items CSV rows (53 by question and paper" in r.output
    assert "108 verdicts carry no text: kept as source unknown" in r.output
    assert "13 loaded entries were never judged" in r.output
    r2 = invoke("ingest", example_log, example_csv, "--db", db)
    assert "nothing new for" in r2.output


def test_ingest_map_and_as(invoke, tmp_path):
    csv = tmp_path / "odd.txt"
    csv.write_text("ask,doc,want,a,b\nq,p,r,x,y\n", encoding="utf-8")
    db = tmp_path / "x.duckdb"
    r = invoke("--db", db, "ingest", csv, "--as", "items-csv", "--run", "odd", "--map", "question=ask",
               "--map", "paper=doc", "--map", "reference_answer=want", "--map", "base_answer=a",
               "--map", "finetuned_answer=b")
    assert r.exit_code == 0, r.output
    assert "items CSV, 1 rows (columns: question=ask, paper=doc" in r.output


@pytest.mark.parametrize("content,needle", [
    ("", "the file is empty; give a file with content"),
    ("Winner: EvalWinner.MAYBE\n", "line 1: unknown winner label 'EvalWinner.MAYBE'"),
    ("question,paper\nq,p\n", "line 1: no column for reference_answer"),
])
def test_bad_input_through_cli(invoke, example_db, tmp_path, content, needle):
    p = tmp_path / "bad.input"
    p.write_text(content, encoding="utf-8")
    before = sha256(example_db)
    r = invoke("--db", example_db, "ingest", p, "--run", RUN)
    assert r.exit_code == 1
    assert r.output.startswith(f"Error: {p}") and needle in r.output
    assert len(r.output.strip().splitlines()) == 1 and "Traceback" not in r.output
    assert sha256(example_db) == before


def test_locked_database(example_db, example_csv, tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); sys.stdin.read()",
         str(example_db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        before = sha256(example_db)
        r = subprocess.run([sys.executable, "-m", "reportgen", "--db", str(example_db), "ingest", str(example_csv),
                            "--run", "other"], capture_output=True, text=True, timeout=60)
        assert r.returncode == 1
        assert "is in use by another process (DuckDB allows one writer at a time)" in r.stderr
        assert "Traceback" not in r.stderr and r.stderr.count("\n") == 1
        assert sha256(example_db) == before
    finally:
        holder.kill()
        holder.wait()


def test_python_dash_m_and_help():
    r = subprocess.run([sys.executable, "-m", "reportgen", "--help"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0
    for cmd in ["ingest", "stats", "query", "runs", "demo"]:
        assert cmd in r.stdout


def test_demo(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = subprocess.run([sys.executable, "-m", "reportgen", "demo", "--out", "d"], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    assert "fine-tuned win rate  67.1 % (108/161, 95 % CI 59.5–73.9 %)" in r.stdout
    db = tmp_path / "d" / "reportgen.duckdb"
    assert db.exists() and (tmp_path / "d" / "site" / "index.html").exists()
    runs = subprocess.run([sys.executable, "-m", "reportgen", "--db", str(db), "query",
                           "SELECT name, synthetic FROM runs ORDER BY name", "--format", "csv"],
                          capture_output=True, text=True, check=True).stdout
    assert runs == ("name,synthetic\nllama31-8b-paper-qa,false\nsynthetic-checkpoint-1,true\n"
                    "synthetic-checkpoint-2,true\n")
    stats = subprocess.run([sys.executable, "-m", "reportgen", "--db", str(db), "stats", "--run",
                            "synthetic-checkpoint-1"], capture_output=True, text=True, check=True).stdout
    assert "run synthetic-checkpoint-1 (synthetic data) · judge imported-log" in stats
    first_judge = stats.split("judge synthetic-judge-b")[0]
    assert "  per paper\n" in first_judge and "rates not shown" not in first_judge  # every verdict attributed
    # the overall rate, the length-controlled rate, one per paper (6 papers) and one per failure category (6)
    assert first_judge.count("95 % CI") == 14


def test_synth_is_deterministic_and_ingests(invoke, tmp_path):
    r1 = invoke("synth", tmp_path / "a", "--items", "60", "--papers", "3", "--seed", "5")
    r2 = invoke("synth", tmp_path / "b", "--items", "60", "--papers", "3", "--seed", "5")
    assert r1.exit_code == 0 and r2.exit_code == 0
    for name in ("synthetic.csv", "synthetic.judge.log", "synthetic.verdicts.jsonl"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    db = tmp_path / "s.duckdb"
    files = [tmp_path / "a" / n for n in ("synthetic.csv", "synthetic.judge.log", "synthetic.verdicts.jsonl")]
    r = invoke("--db", db, "ingest", *files)
    assert r.exit_code == 0, r.output
    assert "verdicts without text matched by position" in r.output
    out = invoke("--db", db, "query", "SELECT judge, count(*) AS n, count(item_key) AS k FROM verdicts "
                 "GROUP BY 1 ORDER BY 1", "--format", "csv").output
    assert out == "judge,n,k\nimported-log,60,60\nsynthetic-judge-b,60,60\n"


def test_memory_limit_setting(example_db, monkeypatch, invoke):
    monkeypatch.setenv("REPORTGEN_MEMORY_LIMIT", "256MB")
    assert invoke("--db", example_db, "query", "SELECT current_setting('memory_limit') AS m",
                  "--format", "csv").output.startswith("m\n24")  # 256 MB, as DuckDB words it
    monkeypatch.setenv("REPORTGEN_MEMORY_LIMIT", "lots")
    r = invoke("--db", example_db, "stats")
    assert r.exit_code == 1 and "check REPORTGEN_MEMORY_LIMIT" in r.output
