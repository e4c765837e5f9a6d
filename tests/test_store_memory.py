"""DuckDB's memory budget: bounded by default (a quarter of the available memory, within
store.MIN_MEMORY..MAX_MEMORY), spilling beside the database, REPORTGEN_MEMORY_LIMIT overriding it."""

from __future__ import annotations

from conftest import sha256
from reportgen import store


def test_memory_budget_is_bounded_and_overridable(tmp_path, monkeypatch):
    monkeypatch.delenv("REPORTGEN_MEMORY_LIMIT", raising=False)
    db = tmp_path / "m.duckdb"
    with store.open_db(db) as con:
        limit, temp = con.execute("SELECT current_setting('memory_limit'), current_setting('temp_directory')").fetchone()
    assert temp == str(db) + ".tmp"
    number, unit = limit.split()
    mib = float(number) * {"MiB": 1, "GiB": 1024}[unit]
    assert store.MIN_MEMORY / 2**20 <= mib <= store.MAX_MEMORY / 2**20
    monkeypatch.setenv("REPORTGEN_MEMORY_LIMIT", "300MB")
    with store.open_db(tmp_path / "n.duckdb") as con:
        assert con.execute("SELECT current_setting('memory_limit')").fetchone()[0] == "286.1 MiB"


def test_default_budget_is_a_quarter_within_bounds():
    gib = 2**30
    assert store.default_budget(4 * gib) == gib
    assert store.default_budget(64 * gib) == store.MAX_MEMORY
    assert store.default_budget(512 * 2**20) == store.MIN_MEMORY
    assert store.default_budget(None) == store.MAX_MEMORY
    assert 0 < store.available_memory()


def test_a_streaming_reader_caps_the_budget_but_never_raises_it_or_overrides_the_user(tmp_path, monkeypatch):
    """A site build streams the transcripts' text: cap_memory lowers DuckDB's budget to READER_BUDGET
    (what it read need not stay cached), not when REPORTGEN_MEMORY_LIMIT is set or the budget is lower."""
    def limit(con) -> str:
        return con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    monkeypatch.delenv("REPORTGEN_MEMORY_LIMIT", raising=False)
    monkeypatch.setattr(store, "available_memory", lambda: 16 * 2**30)  # a 4 GiB default budget, capped at 3
    with store.open_db(tmp_path / "a.duckdb") as con:
        store.cap_memory(con, 512 * 2**20)
        assert limit(con) == "512.0 MiB"
    monkeypatch.setattr(store, "available_memory", lambda: 1 * 2**30)  # a budget below the cap stays
    before = store.default_budget(2**30) // 2**20
    with store.open_db(tmp_path / "b.duckdb") as con:
        con.execute(f"SET memory_limit = '{before}MiB'")
        store.cap_memory(con, 512 * 2**20)
        assert limit(con) == f"{before:.1f} MiB"
    monkeypatch.setenv("REPORTGEN_MEMORY_LIMIT", "2GB")
    with store.open_db(tmp_path / "c.duckdb") as con:
        store.cap_memory(con, 512 * 2**20)
        assert limit(con) == "1.8 GiB"


def test_running_out_of_memory_is_a_one_line_error_that_changes_nothing(example_db, example_csv, example_log,
                                                                       invoke, monkeypatch):
    """A budget too small for the work: the command says so in one line and how to give DuckDB more;
    an ingest leaves the database exactly as it was."""
    before = sha256(example_db)
    monkeypatch.setenv("REPORTGEN_MEMORY_LIMIT", "4MB")
    for args in (["ingest", example_csv, example_log, "--run", "again"], ["stats"]):
        result = invoke(*args, "--db", example_db)
        assert result.exit_code == 1, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in result.output
        assert lines[0].startswith("Error: DuckDB ran out of memory within REPORTGEN_MEMORY_LIMIT=4MB")
        assert "set REPORTGEN_MEMORY_LIMIT higher" in lines[0]
    monkeypatch.delenv("REPORTGEN_MEMORY_LIMIT")
    assert sha256(example_db) == before
