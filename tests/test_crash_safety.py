"""SIGKILL `reportgen ingest` at random moments: the database always opens, holds either
nothing of the run or all of it, and a rerun completes with exactly the expected rows."""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from reportgen.synth import generate

KILLS = 20


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth")
    return generate(out, items=1000, papers=8, seed=3)


def counts(db: Path) -> tuple[int, int, int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        if not con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'runs'").fetchone()[0]:
            return (0, 0, 0)  # killed before the schema was committed: an empty database
        return tuple(con.execute(
            "SELECT (SELECT count(*) FROM runs), (SELECT count(*) FROM items), (SELECT count(*) FROM verdicts)"
        ).fetchone())
    finally:
        con.close()


@pytest.mark.slow
def test_kill_ingest_anywhere(tmp_path, synthetic):
    files = [str(synthetic.csv), str(synthetic.log), str(synthetic.jsonl)]
    cmd = [sys.executable, "-m", "reportgen", "ingest", *files, "--run", "synthetic"]
    # how long an uninterrupted ingest takes, to spread the kills over it
    ref = tmp_path / "ref.duckdb"
    t = time.perf_counter()
    subprocess.run([*cmd, "--db", str(ref)], check=True, capture_output=True, timeout=300)
    duration = time.perf_counter() - t
    expected = counts(ref)
    assert expected == (1, 1000, 2000)

    rng = random.Random(11)
    killed_mid_write = 0
    for i in range(KILLS):
        db = tmp_path / f"k{i}.duckdb"
        if i % 2:  # half of the kills hit a database that already holds another run
            subprocess.run([*cmd[:-1], "other", "--db", str(db)], check=True, capture_output=True, timeout=300)
        proc = subprocess.Popen([*cmd, "--db", str(db)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.05, duration * 1.1))
        finished = proc.poll() is not None
        if not finished:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        killed_mid_write += not finished
        if db.exists():
            runs, items, verdicts = counts(db)
            base = (1, 1000, 2000) if i % 2 else (0, 0, 0)
            # all or nothing of the killed run
            assert (runs, items, verdicts) in (base, (base[0] + 1, base[1] + 1000, base[2] + 2000))
        r = subprocess.run([*cmd, "--db", str(db)], capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        runs, items, verdicts = counts(db)
        assert (runs, items, verdicts) == ((2, 2000, 4000) if i % 2 else expected)
    assert killed_mid_write >= KILLS // 2


JUDGE_ITEMS = 4


@pytest.fixture(scope="module")
def judge_db_template(tmp_path_factory) -> Path:
    from reportgen.ingest import ingest
    base = tmp_path_factory.mktemp("judge-kill")
    csv = base / "items.csv"
    rows = ["id,question,context,true_answer,base_model_answer,finetuned_model_answer"]
    for i in range(JUDGE_ITEMS):
        rows.append(f"k{i},What is {i} plus {i}?,Arithmetic,It is {2 * i}.,{2 * i}.,It is {2 * i + 1}.")
    csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    db = base / "judge.duckdb"
    ingest(db, [csv], run="kill")
    return db


def judge_state(db: Path) -> tuple[int, int, int]:
    """(verdicts, distinct items judged, judge_orders rows) of the local judge."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        has_orders = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'judge_orders'").fetchone()[0]
        if not has_orders:
            return (0, 0, 0)
        return tuple(con.execute(
            "SELECT (SELECT count(*) FROM verdicts WHERE judge LIKE 'local:%'), "
            "(SELECT count(DISTINCT item_key) FROM verdicts WHERE judge LIKE 'local:%'), "
            "(SELECT count(*) FROM judge_orders WHERE judge LIKE 'local:%')").fetchone())
    finally:
        con.close()


@pytest.mark.slow
def test_kill_judge_anywhere(tmp_path, judge_db_template):
    pytest.importorskip("llama_cpp")
    import shutil
    ref = tmp_path / "ref.duckdb"
    shutil.copy(judge_db_template, ref)
    cmd = [sys.executable, "-m", "reportgen", "judge", "--threads", "2"]
    t = time.perf_counter()
    subprocess.run([*cmd, "--db", str(ref)], check=True, capture_output=True, timeout=300)
    duration = time.perf_counter() - t
    assert judge_state(ref) == (JUDGE_ITEMS, JUDGE_ITEMS, 2 * JUDGE_ITEMS)

    rng = random.Random(5)
    partial = 0
    db = tmp_path / "k.duckdb"
    for i in range(KILLS):
        if i % 5 == 0:  # a fresh database now and then, so kills land in every phase of a run
            shutil.copy(judge_db_template, db)
        proc = subprocess.Popen([*cmd, "--db", str(db)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.2, duration))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        verdicts, items, orders = judge_state(db)
        # every committed verdict is whole: one per item, with both of its orders
        assert verdicts == items and orders == 2 * verdicts, (i, verdicts, items, orders)
        partial += 0 < verdicts < JUDGE_ITEMS
    assert partial >= 3  # some kills landed between two commits
    r = subprocess.run([*cmd, "--db", str(db)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert judge_state(db) == (JUDGE_ITEMS, JUDGE_ITEMS, 2 * JUDGE_ITEMS)
