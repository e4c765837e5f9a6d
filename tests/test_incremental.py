"""Incremental builds (reportgen.site.incremental): a rebuild renders only the pages whose inputs,
templates or code changed, and leaves the same bytes as a clean build into an empty folder."""

from __future__ import annotations

import gc
import hashlib
import os
import posixpath
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, example_files, tree
from test_search import fragments
from reportgen import categories, fieldreport, site as site_mod, store
from reportgen.demo import EXAMPLE_RUN
from reportgen.errors import ReportgenError
from reportgen.ingest import ingest
from reportgen.site import builder, data, search
from reportgen.site.incremental import State
from reportgen.site.render import relative
from reportgen.synth import generate

T = f"run/{EXAMPLE_RUN}/t/"
PART = "data/transcripts/part-0-of-1"  # the example's transcripts data: one part


def _sql(db: Path, statement: str, *params) -> None:
    """Change the database behind reportgen's back, then refresh its derived tables as ingest does."""
    con = store.connect(db)
    try:
        con.execute(statement, list(params))
        for (run_id,) in con.execute("SELECT run_id FROM runs").fetchall():
            categories.refresh(con, run_id)
    finally:
        con.close()


def _same_as_clean(db: Path, out: Path, tmp_path: Path, **kwargs) -> None:
    clean = tmp_path / "clean"
    shutil.rmtree(clean, ignore_errors=True)
    site_mod.build(db, clean, **kwargs)
    assert tree(out) == tree(clean)


def _pages(result) -> set[str]:
    return set(result.rendered)


def _changed(before: dict[str, str], after: dict[str, str]) -> set[str]:
    """Page files (html, md) that a clean build before and after a change hold with other bytes."""
    return {rel for rel in after if rel.endswith((".html", ".md")) and before.get(rel) != after[rel]}


def _item(db: Path, winner: str) -> str:
    con = store.connect(db, read_only=True)
    try:
        return con.execute("SELECT item_key FROM verdicts WHERE winner = ? AND item_key IS NOT NULL "
                           "ORDER BY seq LIMIT 1", [winner]).fetchone()[0]
    finally:
        con.close()


def test_an_unchanged_database_renders_and_writes_nothing(example_db, tmp_path):
    out = tmp_path / "site"
    first = site_mod.build(example_db, out, search=False)
    assert first.skipped == 0 and len(first.rendered) == first.pages > 100
    again = site_mod.build(example_db, out, search=False)
    assert again.rendered == [] and again.written == [] and again.removed == [] and again.skipped == again.pages


def test_a_rebuild_in_another_process_renders_nothing(example_db, tmp_path):
    """The keys are the same from one process to the next (transcript pages' keys come from polars'
    seeded row hash, the lists' digests too): a second ``reportgen build`` renders no page."""
    out = tmp_path / "site"
    lines = []
    for _ in range(2):
        r = subprocess.run([sys.executable, "-m", "reportgen", "--db", str(example_db), "build", "--out", str(out)],
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        lines.append(r.stdout)
    assert " 0 written" not in lines[0] and " 0 written, 0 removed" in lines[1], lines


def _age(db: Path) -> None:
    """Date the database's last write a minute back: a file written in the last two seconds is not
    trusted by its stat (incremental.RACY_NS)."""
    then = time.time_ns() - 60_000_000_000
    os.utime(db, ns=(then, then))


def _no_plan(monkeypatch) -> None:
    """Make any build that reads the database fail: a build that returns took the shortcut."""
    def fail(*args, **kwargs):
        raise AssertionError("the build read the database")
    monkeypatch.setattr(builder, "_plan", fail)


def _plans(monkeypatch) -> list[int]:
    """Count the builds that read the database (the shortcut does not)."""
    calls: list[int] = []
    real = builder._plan
    monkeypatch.setattr(builder, "_plan", lambda *a, **k: calls.append(1) or real(*a, **k))
    return calls


def test_a_rebuild_that_nothing_changed_reads_nothing(example_db, tmp_path, monkeypatch):
    """Same database file, code, templates and options, and the site as the last build left it: the
    rebuild does not open the database, and says what the last build made."""
    out = tmp_path / "site"
    _age(example_db)
    first = site_mod.build(example_db, out, search=False)
    before = tree(out)
    _no_plan(monkeypatch)
    again = site_mod.build(example_db, out, search=False)
    assert again.written == again.removed == again.rendered == []
    assert (again.pages, again.files, again.search, again.skipped) == (first.pages, first.files, False, first.pages)
    assert tree(out) == before  # nothing of the shortcut's is in the site (the record is in the cache)


HEAVY = ("duckdb", "reportgen.store", "reportgen.site.gathering", "reportgen.site.render", "polars", "jinja2",
         "markdown_it", "numpy")


def _heavy_imports(build: str, db: Path, out: Path, modules: tuple[str, ...] = HEAVY) -> list[str]:
    """The ``modules`` a new process has imported after running ``build`` (Python code that
    builds sys.argv[2] from the database sys.argv[1])."""
    code = f"import sys\n{build}\nprint(sorted(m for m in {modules!r} if m in sys.modules))"
    r = subprocess.run([sys.executable, "-c", code, str(db), str(out)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return eval(r.stdout.strip().splitlines()[-1])


def test_the_shortcut_imports_no_rendering(example_db, tmp_path):
    """In a new process, a rebuild that nothing changed imports neither the gathering and rendering
    modules nor their libraries, nor DuckDB: most of the time a command takes is Python importing.
    Through the command line too (its default --db is resolved without DuckDB)."""
    out = tmp_path / "site"
    _age(example_db)
    site_mod.build(example_db, out, search=False)
    api = ("from pathlib import Path; from reportgen.site import build\n"
           "r = build(Path(sys.argv[1]), Path(sys.argv[2]), search=False); assert r.written == [], r")
    cli = ("from reportgen.__main__ import main\n"
           "sys.argv = ['reportgen', '--db', sys.argv[1], 'build', '--out', sys.argv[2], '--no-search']\n"
           "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code")
    assert _heavy_imports(api, example_db, out) == []
    assert _heavy_imports(cli, example_db, out) == []


def test_a_build_imports_no_pandas(example_db, tmp_path):
    """pandas is installed beside pyarrow (the tests' statsmodels needs it), but no build uses it:
    pyarrow imports it for some calls (``Schema.empty_table()`` did, in writing the transcripts' data
    file), 0.1 s of every rebuild in a new process that wrote a part of it."""
    pytest.importorskip("pandas")
    api = "from pathlib import Path; from reportgen.site import build\nbuild(Path(sys.argv[1]), Path(sys.argv[2]))"
    assert _heavy_imports(api, example_db, tmp_path / "site", ("pandas",)) == []
    assert (tmp_path / "site" / "data" / "transcripts").is_dir()


@pytest.mark.parametrize("change", ["database written", "page edited", "page deleted",
                                    "manifest edited", "other options", "template", "staging left over"])
def test_the_shortcut_is_not_taken_when_anything_changed(example_db, tmp_path, monkeypatch, change):
    out = tmp_path / "site"
    templates = tmp_path / "tpl"
    (templates / "html").mkdir(parents=True)
    (templates / "html" / "unused.html").write_text("one", encoding="utf-8")
    options = {"search": False, "templates_dir": templates}
    _age(example_db)
    site_mod.build(example_db, out, **options)
    page = f"{T}{_item(example_db, 'base')}.html"
    later = (out / site_mod.STATE).stat().st_mtime_ns + 1_000_000_000
    if change == "database written":
        _sql(example_db, "UPDATE verdicts SET winner = 'tie' WHERE item_key = ?", _item(example_db, "base"))
        _age(example_db)
    elif change == "page edited":
        (out / page).write_text("edited by hand", encoding="utf-8")
        os.utime(out / page, ns=(later, later))
    elif change == "page deleted":
        (out / page).unlink()
    elif change == "manifest edited":
        (out / site_mod.MANIFEST).write_text("index.html\n", encoding="utf-8")
    elif change == "other options":
        options["formats"] = ["html"]
    elif change == "template":
        (templates / "html" / "unused.html").write_text("two", encoding="utf-8")
    elif change == "staging left over":
        (out / site_mod.STAGING).mkdir()
    calls = _plans(monkeypatch)
    site_mod.build(example_db, out, **options)
    assert calls == [1]
    _same_as_clean(example_db, out, tmp_path, **options)


def test_a_database_written_a_moment_ago_is_read_again(example_db, tmp_path, monkeypatch):
    """A write in the same tick of the file system's clock can leave a file's times as they were: a
    build of a database written less than two seconds before records nothing for the shortcut, so
    the next build reads the database even though its stat is the same."""
    from reportgen.site import incremental
    out = tmp_path / "site"
    _age(example_db)
    written = example_db.stat().st_mtime_ns
    monkeypatch.setattr(incremental, "_clock", lambda: written + 1_000_000_000)
    site_mod.build(example_db, out, search=False)
    monkeypatch.undo()
    calls = _plans(monkeypatch)
    site_mod.build(example_db, out, search=False)  # now two seconds have passed: this one records it
    site_mod.build(example_db, out, search=False)
    assert calls == [1]


def test_templates_in_a_linked_folder_are_inputs_of_the_shortcut(example_db, tmp_path, monkeypatch):
    out = tmp_path / "site"
    theme = tmp_path / "theme" / "html"
    theme.mkdir(parents=True)
    (theme / "transcript.html").write_text(
        (ROOT / "templates" / "html" / "transcript.html").read_text(encoding="utf-8"), encoding="utf-8")
    templates = tmp_path / "tpl"
    templates.mkdir()
    (templates / "html").symlink_to(theme, target_is_directory=True)
    _age(example_db)
    site_mod.build(example_db, out, search=False, templates_dir=templates)
    text = (theme / "transcript.html").read_text(encoding="utf-8")
    (theme / "transcript.html").write_text(text.replace("Reference answer", "Gold answer"), encoding="utf-8")
    calls = _plans(monkeypatch)
    site_mod.build(example_db, out, search=False, templates_dir=templates)
    assert calls == [1]
    page = next(p for p in sorted((out / "run").rglob("*.html")) if "/t/" in p.as_posix())
    assert "Gold answer" in page.read_text(encoding="utf-8")


def test_the_templates_digest_follows_every_link_once_per_path(tmp_path):
    """Two folders may link to the same shared one (each is a template folder of its own); a link
    back up the tree is not followed again."""
    from reportgen.site.incremental import _folder_digest
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "part.html").write_text("x", encoding="utf-8")
    templates = tmp_path / "tpl"
    for fmt in ("html", "md"):
        (templates / fmt).mkdir(parents=True)
        (templates / fmt / "partials").symlink_to(shared, target_is_directory=True)
    (templates / "html" / "loop").symlink_to(templates, target_is_directory=True)
    both = _folder_digest(templates)
    (templates / "md" / "partials").unlink()
    assert _folder_digest(templates) != both


def test_a_linked_database_with_a_write_ahead_log(example_db, tmp_path, monkeypatch):
    """DuckDB keeps the log of a database opened through a link beside the file the link points to; a
    write left in the log (its writer killed before a checkpoint) is an input of the shortcut."""
    link = tmp_path / "link.duckdb"
    link.symlink_to(example_db)
    out = tmp_path / "site"
    _age(example_db)
    site_mod.build(link, out, search=False)
    key = _item(example_db, "base")
    code = ("import duckdb, os, sys; con = duckdb.connect(sys.argv[1]); "
            "con.execute(\"UPDATE items SET question = 'Rewritten in the log?' WHERE item_key = ?\", [sys.argv[2]]); "
            "os._exit(0)")
    subprocess.run([sys.executable, "-c", code, str(example_db), key], check=True, timeout=120)
    wal = example_db.with_name(example_db.name + ".wal")
    assert wal.exists() and not link.with_name(link.name + ".wal").exists()
    _age(wal)  # the log alone is new (the database file is as the first build saw it)
    calls = _plans(monkeypatch)
    site_mod.build(link, out, search=False)
    assert calls == [1]
    assert "Rewritten in the log?" in (out / f"{T}{key}.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("damage", ["not a record\n", "0123 12 run/a\0b.html\n"])
def test_a_damaged_state_file_renders_everything_again(example_db, tmp_path, damage):
    """A state file with a damaged line (read in a thread while the build reads the database) is no
    state: every page is rendered again, and the site is a clean build's."""
    out = tmp_path / "site"
    first = site_mod.build(example_db, out, search=False)
    state = out / site_mod.STATE
    state.write_text(state.read_text(encoding="utf-8") + damage, encoding="utf-8")
    assert State.load(out).records == {}
    again = site_mod.build(example_db, out, search=False)
    assert len(again.rendered) == again.pages == first.pages
    _same_as_clean(example_db, out, tmp_path, search=False)


def test_the_cycle_collector_is_back_on_after_a_build(example_db, tmp_path):
    """The build turns Python's cycle collector off while it makes the page model, and back on after,
    when it fails too."""
    assert gc.isenabled()
    site_mod.build(example_db, tmp_path / "site", search=False)
    assert gc.isenabled()
    templates = _template(tmp_path, "html", "transcript.html", "{% block content %}", "{% block content %}{% if %}")
    with pytest.raises(ReportgenError):
        site_mod.build(example_db, tmp_path / "other", search=False, templates_dir=templates)
    assert gc.isenabled()
    empty = tmp_path / "empty.duckdb"
    store.connect(empty).close()
    with pytest.raises(ReportgenError, match="no runs"):
        site_mod.build(empty, tmp_path / "none", search=False)
    assert gc.isenabled()


def test_a_changed_verdict_renders_exactly_the_pages_that_change(example_db, tmp_path):
    """One verdict flips (a base win disappears, then it comes back): each rebuild renders the pages
    whose bytes change, no other, and leaves the folder byte-identical to a clean build."""
    out = tmp_path / "site"
    site_mod.build(example_db, out, search=False)
    key = _item(example_db, "base")
    for new in ("tie", "base"):
        before = tree(out)
        _sql(example_db, "UPDATE verdicts SET winner = ? WHERE item_key = ?", new, key)
        result = site_mod.build(example_db, out, search=False)
        _same_as_clean(example_db, out, tmp_path, search=False)
        after = tree(out)
        assert _pages(result) == _changed(before, after)
        assert 0 < len(result.rendered) < result.pages / 2
        assert (f"{T}{key}.html" in result.removed) == (new == "tie")
        assert result.skipped == result.pages - len(result.rendered)


def test_a_changed_verdict_writes_only_its_items_part_of_the_transcripts_data(example_db, tmp_path, monkeypatch):
    """data/transcripts/ is written in parts by item (here 8, the part size made small): a base win
    turned tie, and back, writes again the part its item is in (the first byte of its key's MD5,
    modulo 8) and keeps the seven others, and the folder is byte-identical to a clean build (its
    Parquet file's row groups included)."""
    con = store.connect(example_db, read_only=True)
    try:
        chars, = con.execute("SELECT sum(len_reference + len_base + len_finetuned) FROM base_wins "
                             "JOIN summary_item_text USING (run_id, item_key)").fetchone()
    finally:
        con.close()
    monkeypatch.setattr(data, "PART_CHARS", chars // 6)  # 8 parts, with or without one base win's answers
    # Batches of 3 rows: a part written alone must have the row groups it has among all the others.
    monkeypatch.setattr(data, "BATCH", 3)
    out = tmp_path / "site"
    site_mod.build(example_db, out, search=False)
    assert {p.name for p in (out / "data" / "transcripts").iterdir()} == {
        f"part-{k}-of-8.{ext}" for k in range(8) for ext in ("csv", "parquet")}
    key = _item(example_db, "base")
    mine = f"data/transcripts/part-{hashlib.md5(key.encode('utf-8')).digest()[0] % 8}-of-8"
    for new in ("tie", "base"):
        _sql(example_db, "UPDATE verdicts SET winner = ? WHERE item_key = ?", new, key)
        result = site_mod.build(example_db, out, search=False)
        _same_as_clean(example_db, out, tmp_path, search=False)
        assert {rel for rel in result.written if rel.startswith("data/transcripts/")} == {
            f"{mine}.csv", f"{mine}.parquet"}


@pytest.mark.parametrize("change", [
    "UPDATE verdicts SET confidence = 0.25 WHERE item_key = ?",
    "UPDATE verdicts SET rationale = 'another rationale' WHERE item_key = ?",
    "UPDATE verdicts SET seq = seq + 100000 WHERE item_key = ?",
    "UPDATE items SET paper = 'Another paper' WHERE item_key = ?",
    "UPDATE items SET position = position + 1000 WHERE item_key = ?",
    "UPDATE item_categories SET evidence = 'other evidence' WHERE item_key = ?",
])
def test_every_column_of_the_transcripts_data_follows_the_database(example_db, tmp_path, change):
    """The parts of data/transcripts/ are kept while the transcript list's digests of their items are
    the same: a change to any column the transcripts report shows reaches them (byte-identical to a
    clean build)."""
    out = tmp_path / "site"
    site_mod.build(example_db, out, search=False)
    con = store.connect(example_db)
    try:
        key, run_id = con.execute("SELECT v.item_key, v.run_id FROM verdicts v "
                                  "JOIN item_categories c USING (run_id, judge, item_key) "
                                  "WHERE v.winner = 'base' ORDER BY v.seq LIMIT 1").fetchone()
        con.execute(change, [key])
        store.refresh_summaries(con, run_id)  # the categories as they are: the evidence is changed by hand
    finally:
        con.close()
    result = site_mod.build(example_db, out, search=False)
    assert {f"{PART}.csv", f"{PART}.parquet"} <= set(result.written)
    _same_as_clean(example_db, out, tmp_path, search=False)


def test_a_second_judges_evidence_reaches_the_transcripts_data(tmp_path, monkeypatch):
    """The transcripts report lists every judge's failure-category evidence; the pages show the first
    judge's. A change to the second judge's alone is written to data/transcripts/ all the same."""
    db = tmp_path / "two.duckdb"
    syn = generate(tmp_path / "syn", items=80, papers=3, seed=4)
    ingest(db, [syn.csv, syn.log, syn.jsonl], run="r")  # two judges
    monkeypatch.setattr(data, "PART_CHARS", 20_000)
    out = tmp_path / "site"
    site_mod.build(db, out, search=False)
    con = store.connect(db)
    try:
        judges = [j for (j,) in con.execute("SELECT DISTINCT judge FROM item_categories ORDER BY judge").fetchall()]
        assert len(judges) == 2
        key, = con.execute("SELECT item_key FROM item_categories WHERE judge = ? ORDER BY item_key LIMIT 1",
                           [judges[1]]).fetchone()
        con.execute("UPDATE item_categories SET evidence = 'other evidence' WHERE judge = ? AND item_key = ?",
                    [judges[1], key])
    finally:
        con.close()
    result = site_mod.build(db, out, search=False)
    parts = len(list((out / "data" / "transcripts").glob("*.csv")))
    assert parts > 1
    mine = data.part_stems(parts)[data.part_of(key, parts)]
    written = {rel for rel in result.written if rel.startswith("data/transcripts/")}
    assert written == {f"{mine}.csv", f"{mine}.parquet"}
    _same_as_clean(db, out, tmp_path, search=False)


def test_a_new_number_of_parts_replaces_every_part(example_db, tmp_path, monkeypatch):
    """When the number of parts changes (the answers' text grew past a power of two), every part is
    written under its new name and the old ones are removed."""
    out = tmp_path / "site"
    site_mod.build(example_db, out, search=False)
    names = sorted(p.name for p in (out / "data" / "transcripts").iterdir())
    assert names == ["part-0-of-1.csv", "part-0-of-1.parquet"]
    monkeypatch.setattr(data, "PART_CHARS", 10_000)
    _sql(example_db, "UPDATE verdicts SET winner = 'tie' WHERE item_key = ?", _item(example_db, "base"))
    result = site_mod.build(example_db, out, search=False)
    names = {p.name for p in (out / "data" / "transcripts").iterdir()}
    parts = len(names) // 2
    assert parts > 1 and names == {f"part-{k:0{len(str(parts - 1))}d}-of-{parts}.{ext}"
                                   for k in range(parts) for ext in ("csv", "parquet")}
    assert {f"{PART}.csv", f"{PART}.parquet"} <= set(result.removed)
    _same_as_clean(example_db, out, tmp_path, search=False)


def test_the_transcripts_data_follows_the_code_that_writes_it(example_db, tmp_path, monkeypatch):
    """The parts of data/transcripts/ are kept only while the code that writes them is the same
    (reportgen.site.data, which the pages' code stamp leaves out): another one writes them again at
    the next rebuild, here one that changes no base win."""
    out = tmp_path / "site"
    site_mod.build(example_db, out, search=False)
    monkeypatch.setattr(data, "writer_stamp", lambda: "another writer")
    _sql(example_db, "UPDATE verdicts SET winner = 'tie' "
                     "WHERE seq = (SELECT min(seq) FROM verdicts WHERE winner = 'finetuned')")
    result = site_mod.build(example_db, out, search=False)
    assert {f"{PART}.csv", f"{PART}.parquet"} <= set(result.written)


def test_changed_text_renders_only_that_transcript(example_db, tmp_path):
    out = tmp_path / "site"
    site_mod.build(example_db, out, search=False)
    key = _item(example_db, "base")
    _sql(example_db, "UPDATE items SET base_answer = base_answer || ' (edited)' WHERE item_key = ?", key)
    result = site_mod.build(example_db, out, search=False)
    _same_as_clean(example_db, out, tmp_path, search=False)
    # The run's page is rendered again too: its length-controlled win rate is fitted from the answers'
    # lengths, and fitted only when that page is rendered (here the figures come out the same).
    assert _pages(result) == {f"{T}{key}.html", f"{T}{key}.md", "index.html", "index.md"}
    assert {f"{PART}.csv", f"{PART}.parquet"} <= set(result.written)
    assert "(edited)" in (out / f"{T}{key}.md").read_text(encoding="utf-8")


def test_a_changed_question_renders_its_page_its_neighbours_and_its_lists(example_db, tmp_path):
    """A question is shown on its own page, on its neighbours' (previous / next links) and in lists:
    the digest every list takes of a transcript (Transcript.input_digest) must change with it."""
    out = tmp_path / "site"
    site_mod.build(example_db, out, search=False)
    key = _item(example_db, "base")
    before = tree(out)
    _sql(example_db, "UPDATE items SET question = 'Edited: ' || question WHERE item_key = ?", key)
    result = site_mod.build(example_db, out, search=False)
    _same_as_clean(example_db, out, tmp_path, search=False)
    changed = _changed(before, tree(out))
    # Every page whose bytes changed is rendered (pages whose inputs take the whole run, like the run's
    # own page, are rendered too, though they do not show the question); most pages are not.
    assert changed <= _pages(result) and len(result.rendered) < result.pages / 2
    neighbours = {rel for rel in changed if rel.startswith(T) and not rel.startswith(f"{T}{key}.")}
    assert {f"{T}{key}.html", f"{T}{key}.md"} <= changed and neighbours
    assert any(not rel.startswith(T) for rel in changed)  # a list that shows the question


def test_the_field_statistics_are_fitted_only_for_the_run_page(example_db, tmp_path, monkeypatch):
    """The field statistics (a fitted model, bootstrapped) are computed only for a rebuild that renders
    a run page, and that page shows what a clean build shows."""
    out = tmp_path / "site"
    site_mod.build(example_db, out, search=False)
    fits = []
    fit = fieldreport.frame
    monkeypatch.setattr(fieldreport, "frame", lambda *args, **kwargs: fits.append(1) or fit(*args, **kwargs))
    assert site_mod.build(example_db, out, search=False).rendered == []
    tpl = _template(tmp_path, "html", "transcript.html", "Reference answer", "Gold answer")
    changed = site_mod.build(example_db, out, search=False, templates_dir=tpl)
    assert changed.rendered and "index.html" not in changed.rendered
    assert fits == []
    _sql(example_db, "UPDATE verdicts SET winner = 'tie' WHERE item_key = ?", _item(example_db, "base"))
    result = site_mod.build(example_db, out, search=False, templates_dir=tpl)
    assert fits == [1] and {"index.html", "index.md"} <= set(result.rendered)
    _same_as_clean(example_db, out, tmp_path, search=False, templates_dir=tpl)


def _template(tmp_path: Path, fmt: str, name: str, old: str, new: str) -> Path:
    folder = tmp_path / "tpl"
    (folder / fmt).mkdir(parents=True, exist_ok=True)
    text = (ROOT / "templates" / fmt / name).read_text(encoding="utf-8")
    assert old in text
    (folder / fmt / name).write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder


@pytest.mark.parametrize("fmt,name,old,new,rendered", [
    ("html", "base.html", "Skip to content", "Skip to the content", lambda p: p.endswith(".html") and p != "404.html"),
    ("html", "_macros.html", '<ol class="transcripts">', '<ol class="transcripts list">', None),
    ("md", "transcript.md", "## Reference answer", "## Gold answer", lambda p: p.startswith(T) and p.endswith(".md")),
])
def test_a_changed_template_renders_the_pages_that_use_it(example_db, tmp_path, fmt, name, old, new, rendered):
    out = tmp_path / "site"
    site_mod.build(example_db, out, search=False)
    before = tree(out)
    templates = _template(tmp_path, fmt, name, old, new)
    result = site_mod.build(example_db, out, search=False, templates_dir=templates)
    _same_as_clean(example_db, out, tmp_path, search=False, templates_dir=templates)
    after = tree(out)
    if rendered is None:  # _macros.html: every page importing it renders, whether its bytes change or not
        assert _changed(before, after) <= _pages(result)
        assert all(p.endswith(".html") for p in result.rendered)
    else:
        assert _pages(result) == {p for p in after if rendered(p)} == _changed(before, after)
    # back to the bundled templates: the same pages again
    back = site_mod.build(example_db, out, search=False)
    assert _pages(back) == _pages(result)
    assert tree(out) == before


def test_a_run_added_and_removed(example_db, tmp_path):
    out = tmp_path / "site"
    one = tmp_path / "one.duckdb"
    shutil.copy(example_db, one)
    site_mod.build(one, out, search=False)
    ingest(example_db, example_files(), run="second-run")
    two = site_mod.build(example_db, out, search=False)
    _same_as_clean(example_db, out, tmp_path, search=False)
    assert two.skipped == 0  # the site-wide navigation (the runs) changed: every page
    back = site_mod.build(one, out, search=False)
    _same_as_clean(one, out, tmp_path, search=False)
    assert any(p.startswith("run/second-run/") for p in back.removed)


def test_formats_changed(example_db, tmp_path):
    out = tmp_path / "site"
    site_mod.build(example_db, out, search=False)
    html = site_mod.build(example_db, out, search=False, formats=["html"])
    _same_as_clean(example_db, out, tmp_path, search=False, formats=["html"])
    assert any(p.endswith(".md") for p in html.removed)
    site_mod.build(example_db, out, search=False, formats=["md"])
    _same_as_clean(example_db, out, tmp_path, search=False, formats=["md"])
    site_mod.build(example_db, out, search=False)
    _same_as_clean(example_db, out, tmp_path, search=False)


def test_edited_or_deleted_files_do_not_survive_a_rebuild(example_db, tmp_path):
    out = tmp_path / "site"
    site_mod.build(example_db, out, search=False)
    before = tree(out)
    page = next(p for p in sorted(before) if p.startswith(T) and p.endswith(".html"))
    (out / page).write_text("edited by hand", encoding="utf-8")  # another size
    same_size = "index.md"
    text = (out / same_size).read_bytes()
    (out / same_size).write_bytes(text.replace(b"#", b"=", 1))
    later = (out / site_mod.STATE).stat().st_mtime_ns + 1_000_000_000  # the edit came after the build
    os.utime(out / same_size, ns=(later, later))
    (out / "static" / "site.css").unlink()
    (out / "data" / "papers.csv").write_text("x", encoding="utf-8")
    (out / f"{PART}.parquet").unlink()
    result = site_mod.build(example_db, out, search=False)
    assert _pages(result) == {page, same_size}
    assert {"static/site.css", "data/papers.csv", f"{PART}.parquet"} <= set(result.written)
    assert tree(out) == before
    assert site_mod.build(example_db, out, search=False).written == []


@pytest.mark.skipif(not site_mod.pagefind_available(), reason="pagefind is not installed (the site extra)")
def test_search_index_follows_the_pages(example_db, tmp_path):
    out = tmp_path / "site"
    site_mod.build(example_db, out)
    again = site_mod.build(example_db, out)
    assert again.written == [] and again.rendered == []
    _sql(example_db, "UPDATE verdicts SET winner = 'tie' WHERE item_key = ?", _item(example_db, "base"))
    changed = site_mod.build(example_db, out)
    assert any(p.startswith("pagefind/") for p in changed.written)
    _same_as_clean(example_db, out, tmp_path)


@pytest.mark.skipif(not site_mod.pagefind_available(), reason="pagefind is not installed (the site extra)")
def test_a_sharded_search_index_runs_pagefind_only_for_the_shards_that_changed(example_db, tmp_path, monkeypatch):
    """Above SHARD_PAGES pages the index is a Pagefind bundle per shard: every transcript page is in the
    bundle of its shard, the search page names the bundles, and a rebuild after one changed verdict runs
    Pagefind only over the shard whose searched pages changed (the page gone; not its neighbours', whose
    links to it the search leaves out), leaving the bytes of a clean build; with another number of
    shards, over every one."""
    monkeypatch.setattr(search, "SHARD_PAGES", 10)  # the example's 53 transcript pages: 8 shards
    ran: list[str] = []
    pagefind = search._pagefind
    monkeypatch.setattr(search, "_pagefind", lambda folder, *args: ran.append(folder) or pagefind(folder, *args))
    out = tmp_path / "site"
    site_mod.build(example_db, out)
    pages = search.indexed_pages(sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html")))
    assert len(pages) == 53 and search.shard_count(53) == 8
    bundles = search.shards(pages)
    assert sorted(ran) == sorted(bundles) and len(bundles) > 1 and not (out / search.SEARCH_STAMP).exists()
    for folder, mine in bundles.items():  # each bundle holds the fragments of its shard's pages, and only those
        held = fragments({p.relative_to(out).as_posix().replace(folder, "pagefind", 1): p.read_bytes()
                          for p in (out / folder / "fragment").iterdir()})
        assert sorted(f["url"] for f in held) == sorted("/" + rel for rel in mine)
    assert f'data-bundles="{" ".join(bundles)}"' in (out / "search.html").read_text(encoding="utf-8")
    before = {rel: (out / rel).read_bytes() for rel in pages}
    ran.clear()
    key = _item(example_db, "base")
    _sql(example_db, "UPDATE verdicts SET winner = 'tie' WHERE item_key = ?", key)
    site_mod.build(example_db, out)
    gone = f"{T}{key}.html"
    after = {rel: (out / rel).read_bytes() for rel in pages if rel != gone}
    assert not (out / gone).exists() and gone in before
    # its neighbours' pages changed only in their links to it, which the search leaves out
    neighbours = {rel for rel in after if after[rel] != before[rel]}
    assert neighbours and all(search.searched(after[rel]) == search.searched(before[rel]) for rel in neighbours)
    now = search.shards(search.indexed_pages(list(after)))
    assert ran == [folder for folder, mine in bundles.items() if gone in mine] and set(now) == set(bundles)
    _same_as_clean(example_db, out, tmp_path)
    # other shards (another count; the same folder names, other pages): every bundle is built again
    monkeypatch.setattr(search, "SHARD_PAGES", 5)
    ran.clear()
    site_mod.build(example_db, out)
    assert sorted(ran) == sorted(search.shards(search.indexed_pages(list(tree(out))))) and len(ran) == 16
    _same_as_clean(example_db, out, tmp_path)


@pytest.mark.skipif(not site_mod.pagefind_available(), reason="pagefind is not installed (the site extra)")
def test_search_bundles_follow_the_shard_count_and_heal(example_db, tmp_path, monkeypatch):
    """From one bundle to several and back, each rebuild leaves the bytes of a clean build; so does a
    rebuild after a bundle file was damaged (it is built again, not copied forward) or after an
    interrupted build left a bundle's stamp that no manifest lists (it is no bundle)."""
    out = tmp_path / "site"
    for pages in (100, 10, 100):
        monkeypatch.setattr(search, "SHARD_PAGES", pages)
        site_mod.build(example_db, out)
        _same_as_clean(example_db, out, tmp_path)
    monkeypatch.setattr(search, "SHARD_PAGES", 10)
    site_mod.build(example_db, out)
    fragment = next((out / "pagefind" / "shard-0" / "fragment").iterdir())
    fragment.write_bytes(fragment.read_bytes() + b"x")
    site_mod.build(example_db, out)
    _same_as_clean(example_db, out, tmp_path)
    # one bundle, with shard-0's stamp of a sharded build beside it, as a build killed while renaming leaves it
    monkeypatch.setattr(search, "SHARD_PAGES", 100)
    site_mod.build(example_db, out)
    stray = out / "pagefind" / "shard-0" / search.STAMP_NAME
    stray.parent.mkdir(parents=True)
    stray.write_bytes((tmp_path / "clean" / "pagefind" / "shard-0" / search.STAMP_NAME).read_bytes())
    monkeypatch.setattr(search, "SHARD_PAGES", 10)
    site_mod.build(example_db, out)
    _same_as_clean(example_db, out, tmp_path)


def test_search_shards_are_a_power_of_two_of_stable_size():
    assert [search.shard_count(n) for n in (0, 1, 2000, 2001, 4000, 4001, 20_000)] == [1, 1, 1, 2, 2, 4, 16]
    pages = [f"run/r/t/{i}.html" for i in range(5000)]
    split = search.shards(pages)
    assert len(split) == 4 and sorted(p for mine in split.values() for p in mine) == sorted(pages)
    assert all(1000 < len(mine) < 1500 for mine in split.values())
    # a page keeps its shard while the number of shards stays
    fewer = search.shards(pages[1:])
    assert all(set(fewer[f]) == set(split[f]) - {pages[0]} for f in split)
    assert search.shards(pages[:7]) == {"pagefind": pages[:7]} and search.shards([]) == {}


def test_a_failed_rebuild_keeps_the_site_and_its_state(example_db, tmp_path):
    out = tmp_path / "site"
    site_mod.build(example_db, out, search=False)
    before = tree(out)
    templates = _template(tmp_path, "html", "transcript.html", "{% block content %}", "{% block content %}{% if %}")
    with pytest.raises(ReportgenError, match="failed to render"):
        site_mod.build(example_db, out, search=False, templates_dir=templates)
    assert tree(out) == before
    assert site_mod.build(example_db, out, search=False).written == []


def test_relative_links_match_posixpath():
    rng = random.Random(5)
    parts = ["run", "a", "t", "paper", "index", "x.html", "static", "site.css"]
    for _ in range(3000):
        path = "/".join(rng.choice(parts) for _ in range(rng.randint(1, 5)))
        here = "/".join(rng.choice(parts) for _ in range(rng.randint(0, 4))) or "."
        assert relative(path, here) == posixpath.relpath(path, here), (path, here)


def test_template_references_match_jinja(tmp_path):
    """The cheap scan for extends/include/import finds what Jinja2's parser finds, and treats a
    template named at run time as depending on every template."""
    import jinja2.meta
    from reportgen.site.incremental import _references
    from reportgen.site.render import environment
    for fmt in ("html", "md"):
        env = environment(fmt)
        for name in env.list_templates(filter_func=lambda n: not n.startswith("static/")):
            source = env.loader.get_source(env, name)[0]
            assert set(_references(env, source)) == set(jinja2.meta.find_referenced_templates(env.parse(source))), name
    env = environment("html")
    text = '{%- include ["a.html", "b.html"] %}{% from "m.html" import x %}{% include name %}{% extends "base.html" -%}'
    assert sorted(_references(env, text), key=str) == sorted([None, "m.html", None, "base.html"], key=str)


def test_build_records_are_pruned_to_the_newest(tmp_path, monkeypatch):
    """Each output folder built into leaves a record in the cache; remember keeps the one it writes and
    the newest others, KEEP_RECORDS in all, and removes a scratch file a killed build left."""
    import os
    from reportgen.site import incremental
    monkeypatch.setenv("REPORTGEN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(incremental, "KEEP_RECORDS", 5)
    folder = tmp_path / "cache" / "builds"
    folder.mkdir(parents=True)
    for i in range(8):
        old = folder / f"old{i}.json"
        old.write_text("{}", encoding="utf-8")
        os.utime(old, ns=(10**18 + i * 10**9, 10**18 + i * 10**9))  # old0 the oldest
    stale = folder / "x.json.123.tmp"
    stale.write_text("{", encoding="utf-8")
    os.utime(stale, ns=(10**18, 10**18))
    out = tmp_path / "site"
    out.mkdir()
    (out / incremental.STATE).write_text("state", encoding="utf-8")
    incremental.remember(out, "inputs", {"pages": 1})
    own = incremental._record_path(out)
    assert sorted(p.name for p in folder.iterdir()) == sorted([own.name] + [f"old{i}.json" for i in range(4, 8)])
    # a record whose shortcut is taken is renewed (a rebuild that nothing changed writes no record)
    os.utime(own, ns=(10**18, 10**18))
    assert incremental.last_build(out, "inputs") == {"pages": 1}
    assert own.stat().st_mtime_ns > 10**18
    # records from a clock ahead of this one: the record just written stays all the same
    for p in folder.iterdir():
        os.utime(p, ns=(4 * 10**18, 4 * 10**18))
    incremental.remember(out, "inputs", {"pages": 2})
    assert incremental.last_build(out, "inputs") == {"pages": 2} and len(list(folder.iterdir())) == 5
