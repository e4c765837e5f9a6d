"""The bad-input corpus (tests/bad_inputs/, made by make_corpus.py; cases.json says what each
must give). Every error: exit code 1, exactly one line naming file and line, no traceback, and
the database byte-identical to before. Inputs that only look odd must ingest."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import sha256

HERE = Path(__file__).resolve().parent / "bad_inputs"
CASES = json.loads((HERE / "cases.json").read_text(encoding="utf-8"))


def test_corpus_is_big_and_complete():
    files = {p.name for p in HERE.iterdir() if p.name not in ("make_corpus.py", "cases.json")}
    assert files == set(CASES)
    assert sum(1 for c in CASES.values() if not c.get("ok")) >= 40


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input(name, example_db, invoke):
    case = CASES[name]
    path = HERE / name
    before = sha256(example_db)
    r = invoke("--db", example_db, "ingest", path, "--run", case["run"])
    if case.get("ok"):
        assert r.exit_code == 0, r.output
        assert invoke("--db", example_db, "runs").output.count(case["run"]) >= 1
        return
    where = f"{path}, line {case['line']}: " if case["line"] is not None else f"{path}: "
    assert r.exit_code == 1
    assert r.output == f"Error: {where}{case['error']}\n"
    assert sha256(example_db) == before


def test_huge_field(tmp_path, example_db, invoke):
    p = tmp_path / "huge.csv"
    p.write_text("question,context,true_answer,base_model_answer,finetuned_model_answer\n"
                 f"q,p,r,{'x' * (10 * 2**20)},f\n", encoding="utf-8")
    before = sha256(example_db)
    r = invoke("--db", example_db, "ingest", p, "--run", "huge")
    assert r.exit_code == 1
    assert r.output == (f"Error: {p}, line 2: this row is 10.0 MB long and DuckDB reads rows of up to 2 MB; "
                        "shorten its column 'base_model_answer' (10.0 MB)\n")
    assert sha256(example_db) == before


@pytest.mark.parametrize("name", ["binary_garbage.csv", "log_truncated_mid_transcript.judge.log",
                                  "jsonl_unknown_item.jsonl", "latin1.csv"])
def test_real_process_prints_no_traceback(name, example_db):
    case = CASES[name]
    r = subprocess.run([sys.executable, "-m", "reportgen", "--db", str(example_db), "ingest", str(HERE / name),
                        "--run", case["run"]], capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.startswith("Error: ") and r.stderr.count("\n") == 1
    assert "Traceback" not in r.stderr


def test_new_database_is_not_left_behind(tmp_path, invoke):
    db = tmp_path / "fresh.duckdb"
    r = invoke("--db", db, "ingest", HERE / "log_footer_disagrees.judge.log")
    assert r.exit_code == 1 and not db.exists()
