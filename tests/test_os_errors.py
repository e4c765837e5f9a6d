"""When the operating system refuses a write, every command that writes prints one line —
``Error: <the path>: …`` on stderr, nothing else, exit status 1 — never a traceback: an
unwritable output folder, a missing parent folder, a read-only database file, and a
category SQL file that fails.

Permissions are real. The commands run as subprocesses; under root (as in CI), which
ignores file permissions, they run without the capabilities that let it (CAP_DAC_OVERRIDE,
CAP_DAC_READ_SEARCH, CAP_FOWNER, dropped from the bounding set before exec)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import honour_permissions, sha256
from reportgen import sqlfiles
from reportgen.ingest import ingest
from reportgen.synth import generate

# judge through an endpoint that is never reached: the database fails first, and no model is loaded
JUDGE = ["judge", "--endpoint", "http://127.0.0.1:9", "--endpoint-model", "m"]
WRITE = ["query", "--write", "CREATE TABLE t AS SELECT 1"]


def reportgen(*args, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "REPORTGEN_DB"}
    try:
        return subprocess.run([sys.executable, "-m", "reportgen", *map(str, args)], capture_output=True, text=True,
                              cwd=cwd, env=env, timeout=300, preexec_fn=honour_permissions)
    except subprocess.TimeoutExpired:
        raise  # a hang is a failure, not a missing capability
    except subprocess.SubprocessError as exc:  # the capabilities could not be dropped (a restricted container)
        pytest.skip(f"cannot run a command without root's permission overrides here: {exc}")


def assert_one_line(r: subprocess.CompletedProcess, path: Path) -> None:
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert r.stdout == "" and r.stderr.count("\n") == 1, r.stderr
    assert r.stderr.startswith("Error: ") and str(path) in r.stderr, r.stderr


@pytest.fixture(scope="module")
def place(tmp_path_factory):
    """data/ (a small synthetic run's files), ok.duckdb (that run), ro/ (a git repository nobody may write,
    holding a writable copy of it), ro.duckdb (a read-only copy), a-file (a file where a folder is expected)."""
    base = tmp_path_factory.mktemp("os-errors")
    data = generate(base / "data", items=6, papers=2, seed=1)
    ingest(base / "ok.duckdb", [data.csv, data.log, data.jsonl], run="small")
    (base / "ro").mkdir()
    # a repository (the commands run in ro/): publish checks for one before it builds and meets the refusal
    subprocess.run(["git", "init", "-q", str(base / "ro")], check=True, capture_output=True)
    shutil.copy(base / "ok.duckdb", base / "ro" / "db.duckdb")
    shutil.copy(base / "ok.duckdb", base / "ro.duckdb")
    (base / "ro.duckdb").chmod(0o444)
    (base / "ro").chmod(0o555)
    (base / "a-file").write_text("not a folder", encoding="utf-8")
    yield base
    (base / "ro").chmod(0o755)


def _cases():
    ok = ["--db", "{b}/ok.duckdb"]
    return {
        # an unwritable output folder
        "ingest a new database": (["--db", "{b}/ro/new.duckdb", "ingest", "{csv}"], "{b}/ro/new.duckdb"),
        "ingest into a database whose folder is read-only": (["--db", "{b}/ro/db.duckdb", "ingest", "{csv}", "--run",
                                                               "again"], "{b}/ro/db.duckdb"),
        "judge a database whose folder is read-only": (["--db", "{b}/ro/db.duckdb", *JUDGE], "{b}/ro/db.duckdb"),
        "query --write a database whose folder is read-only": (["--db", "{b}/ro/db.duckdb", *WRITE], "{b}/ro/db.duckdb"),
        "build": ([*ok, "build", "--format", "md", "--out", "{b}/ro/site"], "{b}/ro/site"),
        "publish": ([*ok, "publish", "--out", "{b}/ro/site"], "{b}/ro/site"),
        "publish --workflow": ([*ok, "publish", "--workflow"], "{b}/ro/.github"),
        "demo": (["demo", "--out", "{b}/ro/demo"], "{b}/ro/demo"),
        "synth": (["synth", "{b}/ro/synth", "--items", "3"], "{b}/ro/synth"),
        "synth into /proc": (["synth", "/proc/nope"], "/proc/nope"),  # as the issue reported them
        "demo into /proc": (["demo", "--out", "/proc/nope"], "/proc/nope"),
        # a missing parent folder (DuckDB does not create one; the others cannot, where it is a file)
        "ingest, missing folder": (["--db", "{b}/gone/db.duckdb", "ingest", "{csv}"], "{b}/gone/db.duckdb"),
        "judge, missing folder": (["--db", "{b}/gone/db.duckdb", *JUDGE], "{b}/gone/db.duckdb"),
        "query --write, missing folder": (["--db", "{b}/gone/db.duckdb", *WRITE], "{b}/gone/db.duckdb"),
        "ingest, parent is a file": (["--db", "{b}/a-file/db.duckdb", "ingest", "{csv}"], "{b}/a-file/db.duckdb"),
        "build, parent is a file": ([*ok, "build", "--format", "md", "--out", "{b}/a-file/site"], "{b}/a-file/site"),
        "publish, parent is a file": ([*ok, "publish", "--out", "{b}/a-file/site"], "{b}/a-file/site"),
        "demo, parent is a file": (["demo", "--out", "{b}/a-file/demo"], "{b}/a-file/demo"),
        "synth, parent is a file": (["synth", "{b}/a-file/synth"], "{b}/a-file/synth"),
        # a read-only database file
        "ingest, read-only database": (["--db", "{b}/ro.duckdb", "ingest", "{csv}", "--run", "again"], "{b}/ro.duckdb"),
        "judge, read-only database": (["--db", "{b}/ro.duckdb", *JUDGE], "{b}/ro.duckdb"),
        "query --write, read-only database": (["--db", "{b}/ro.duckdb", *WRITE], "{b}/ro.duckdb"),
    }


@pytest.mark.parametrize("case", list(_cases()))
def test_refused_write_is_one_line(case, place):
    args, named = _cases()[case]
    fill = {"b": place, "csv": place / "data" / "synthetic.csv"}
    databases = [place / "ok.duckdb", place / "ro" / "db.duckdb", place / "ro.duckdb"]
    before = [sha256(db) for db in databases]
    r = reportgen(*(a.format(**fill) for a in args), cwd=place / "ro")
    assert_one_line(r, Path(named.format(**fill)))
    assert [sha256(db) for db in databases] == before
    assert not (place / "gone").exists() and sorted(p.name for p in (place / "ro").iterdir()) == [".git", "db.duckdb"]


@pytest.mark.parametrize("sql, says", [
    ("-- no evidence column\nSELECT run_id, judge, item_key FROM base_wins WHERE run_id = $run_id",
     "must select run_id, judge, item_key, evidence; this one lacks evidence"),
    ("-- a typo\nSELEC run_id FROM base_wins", "the category query fails (Parser Error"),
    ("-- an unknown column\nSELECT run_id, judge, item_key, nope AS evidence FROM base_wins", "the category query fails"),
    ("-- a parameter nobody passes\nSELECT * FROM base_wins WHERE run_id = $other", "needs parameters other"),
], ids=["missing column", "syntax error", "unknown column", "unknown parameter"])
def test_a_failing_category_file_is_one_line(sql, says, invoke, example_db, example_csv, tmp_path, monkeypatch):
    """A category file (sql/categories/*.sql, which users add) that fails: one line naming the
    file, and the ingest leaves the database as it was."""
    bad = tmp_path / "bad.sql"
    bad.write_text(sql, encoding="utf-8")
    files = {**sqlfiles.all_sql(), "categories/zz_bad": sqlfiles.SqlFile("categories/zz_bad", bad, sql)}
    monkeypatch.setattr(sqlfiles, "all_sql", lambda: files)
    before = sha256(example_db)
    result = invoke("--db", example_db, "ingest", example_csv, "--run", "again")
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {bad}: ") and result.output.count("\n") == 1, result.output
    assert says in result.output
    assert sha256(example_db) == before
