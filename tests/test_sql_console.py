"""The SQL console (`reportgen build --sql-console`): the pinned DuckDB-Wasm package and its errors, the
console's tables against `reportgen query`, what a console build adds and changes, and the page itself in
Debian chromium over `reportgen serve`, under a /<repo>/ prefix, from file:// and with the XSS corpus."""

from __future__ import annotations

import gzip
import json
import math
import re
import shutil
from pathlib import Path
from urllib.parse import parse_qs, quote, urlparse

import pyarrow as pa
import pytest

from reportgen import site as site_mod, store
from reportgen.demo import EXAMPLE_RUN
from reportgen.ingest import ingest
from reportgen.query import run_query
from reportgen.site import console, data, duckdb_wasm
from reportgen.site.errors import SiteError
from reportgen.synth import generate

from conftest import XSS_MAP

try:  # Debian chromium through Playwright, with Pagefind: the browser tests' own helpers
    from test_browser import Watched, serve  # noqa: F401  (fixtures; browser comes from conftest)
    NO_BROWSER = None
except pytest.skip.Exception as exc:
    NO_BROWSER = str(exc)

ROOT = Path(__file__).resolve().parent.parent
NPM = ROOT / "build" / "npm"  # where `make test` installs DuckDB-Wasm
FIXTURES = Path(__file__).parent / "fixtures" / "site"
README_QUERIES = ["SELECT paper, base_wins FROM papers WHERE NOT is_unknown",
                  "SELECT category, count(*) FROM item_categories GROUP BY ALL"]


def _package() -> Path | None:
    for folder in (NPM, None):
        try:
            return duckdb_wasm.find(folder)
        except SiteError:
            pass
    return None


PACKAGE = _package()
needs_package = pytest.mark.skipif(PACKAGE is None, reason=f"DuckDB-Wasm is not installed: "
                                                           f"{duckdb_wasm.npm_command(NPM)} (make test runs it)")
needs_browser = pytest.mark.skipif(PACKAGE is None or NO_BROWSER is not None,
                                   reason=NO_BROWSER or "DuckDB-Wasm is not installed (make test installs it)")


@pytest.fixture(scope="module")
def two_judge_db(tmp_path_factory, _example_db_template) -> Path:
    """The example plus a small synthetic run with a second judge (ties, invalid verdicts, disagreements)."""
    base = tmp_path_factory.mktemp("console-db")
    db = base / "two.duckdb"
    shutil.copy(_example_db_template, db)
    made = generate(base / "synth", items=60, papers=3, base_share=0.4, seed=3, name="synth")
    ingest(db, [made.csv, made.log, made.jsonl], run="synth", synthetic=True)
    return db


def _loaded(db: Path, run: str | None = None):
    """An in-memory DuckDB holding the console's files of ``db`` as the browser gets them: the tables
    from their gzipped Arrow streams, then the manifest's setup and lock statements."""
    import duckdb
    with store.open_db(db, read_only=True) as con:
        files = console.data_files(con, run, data.frames(con, run))
    for rel, content in files.items():  # no machine paths: the files were ingested from under ROOT and tmp
        text = gzip.decompress(content) if rel.endswith(".gz") else content
        assert str(ROOT).encode() not in text and str(db.parent).encode() not in text, rel
    manifest = json.loads(files[console.MANIFEST])
    mem = duckdb.connect()
    for t in manifest["tables"]:
        arrow = pa.ipc.open_stream(gzip.decompress(files["console/" + t["file"]])).read_all()
        assert arrow.num_rows == t["rows"]
        mem.from_arrow(arrow).create(t["name"])
    for statement in manifest["setup"] + manifest["lock"]:
        mem.execute(statement)
    return mem, manifest


def test_the_console_tables_answer_like_reportgen_query(two_judge_db):
    """Every query of the README and the page gives the same rows from the console's files as from the DuckDB file."""
    mem, manifest = _loaded(two_judge_db)
    assert {t["name"] for t in manifest["tables"]} >= {"runs", "sources", "items", "verdicts", "judge_orders",
                                                      "item_categories", "overall", "papers", "run_list"}
    queries = README_QUERIES + [e.sql for e in console.examples()] + [
        "SELECT count(*) FROM verdicts", "SELECT * FROM base_wins ORDER BY run_id, judge, seq",
        "SELECT name, wilson_low(5, 10) AS low, item_key_of('q', 'p') AS k FROM runs ORDER BY name",
        "SELECT * FROM run_list", "SELECT * FROM overall", "SELECT * FROM transcripts"]
    for sql in queries:
        ours, theirs = mem.sql(sql).pl(), run_query(two_judge_db, sql)
        assert ours.columns == theirs.columns, sql
        assert sorted(map(repr, ours.rows())) == sorted(map(repr, theirs.rows())), sql
        if "ORDER BY" in sql:
            assert ours.rows() == theirs.rows(), sql
    disagreements = mem.execute(next(e.sql for e in console.examples() if e.name == "judges_disagree")).fetchall()
    assert disagreements  # the synthetic run's two judges disagree somewhere: the example shows rows
    # no folders in the published sources; the lock holds
    assert all("/" not in p for (p,) in mem.execute("SELECT path FROM sources").fetchall())
    with pytest.raises(Exception, match="disabled by configuration|locked"):
        mem.execute("SELECT * FROM read_csv('/etc/hostname')")


def test_one_run_gets_that_run_only(two_judge_db):
    mem, _ = _loaded(two_judge_db, run="synth")
    assert mem.execute("SELECT list(name) FROM runs").fetchall()[0][0] == ["synth"]
    assert mem.execute("SELECT count(DISTINCT run_id) FROM verdicts").fetchall()[0][0] == 1
    assert mem.execute("SELECT list(DISTINCT run) FROM overall").fetchall()[0][0] == ["synth"]


def _fake_package(root: Path, version: str = duckdb_wasm.VERSION, arrow: str = duckdb_wasm.ARROW_VERSION) -> Path:
    for name, v in (("@duckdb/duckdb-wasm", version), ("apache-arrow", arrow)):
        (root / "node_modules" / name).mkdir(parents=True)
        (root / "node_modules" / name / "package.json").write_text(json.dumps({"name": name, "version": v}))
    for f in duckdb_wasm.FILES:
        path = root / "node_modules" / f.package / f.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"not the pinned file")
    return root


def test_without_the_package_the_build_names_the_npm_command(invoke, example_db, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REPORTGEN_CACHE", str(tmp_path / "cache"))
    before = example_db.read_bytes()
    result = invoke("--db", example_db, "build", "--out", tmp_path / "out", "--sql-console")
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output
    assert (f"npm install --no-save --prefix {tmp_path / 'cache' / 'npm'} @duckdb/duckdb-wasm@1.32.0 "
            "apache-arrow@17.0.0") in lines[0]
    result = invoke("--db", example_db, "build", "--out", tmp_path / "out", "--sql-console", tmp_path / "empty")
    assert result.exit_code == 1 and f"npm install --no-save --prefix {tmp_path / 'empty'} " in result.output
    assert not (tmp_path / "out").exists() and example_db.read_bytes() == before


def test_a_wrong_version_or_a_changed_file_is_refused(invoke, example_db, tmp_path):
    old = _fake_package(tmp_path / "old", version="1.31.0")
    result = invoke("--db", example_db, "build", "--out", tmp_path / "out", "--sql-console", old)
    assert result.exit_code == 1
    assert "needs @duckdb/duckdb-wasm 1.32.0" in result.output and "has 1.31.0" in result.output
    assert f"npm install --no-save --prefix {old}" in result.output
    changed = _fake_package(tmp_path / "changed")
    result = invoke("--db", example_db, "build", "--out", tmp_path / "out", "--sql-console", changed / "node_modules")
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
    assert "duckdb-eh.wasm: does not match the SHA-256 pinned for this version" in result.output
    assert not (tmp_path / "out").exists()


def test_the_console_needs_html(invoke, example_db, tmp_path):
    result = invoke("--db", example_db, "build", "--out", tmp_path / "out", "--format", "md", "--sql-console", NPM)
    assert result.exit_code == 1 and "--sql-console adds an HTML page" in result.output


def test_the_pages_workflow_installs_duckdb_wasm_with_the_console(invoke, tmp_path, monkeypatch):
    import subprocess
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    monkeypatch.chdir(tmp_path)
    assert invoke("publish", "--workflow", "--sql-console").exit_code == 0
    text = (tmp_path / ".github" / "workflows" / "pages.yml").read_text(encoding="utf-8")
    assert "run: npm install --no-save --prefix build/npm @duckdb/duckdb-wasm@1.32.0 apache-arrow@17.0.0" in text
    assert "reportgen build --out _site --clean --sql-console build/npm" in text
    assert invoke("publish", "--workflow").exit_code == 0
    plain = (tmp_path / ".github" / "workflows" / "pages.yml").read_text(encoding="utf-8")
    assert "npm" not in plain and "--sql-console" not in plain


NAV_LINK = re.compile(r'\n    <a href="(?:\.\./)*sql\.html">SQL</a>')


@needs_package
def test_a_console_build_adds_files_and_a_nav_link_and_nothing_else(invoke, example_db, tmp_path):
    plain, full = tmp_path / "plain", tmp_path / "full"
    site_mod.build(example_db, plain, search=False)
    site_mod.build(example_db, full, search=False, sql_console=PACKAGE)
    theirs = {p.relative_to(plain).as_posix(): p.read_bytes() for p in plain.rglob("*") if p.is_file()}
    ours = {p.relative_to(full).as_posix(): p.read_bytes() for p in full.rglob("*") if p.is_file()}
    added = set(ours) - set(theirs)
    assert "sql.html" in added and all(p == "sql.html" or p.startswith(("console/", "pagefind/")) for p in added)
    assert {"console/duckdb/duckdb-eh.wasm", "console/duckdb/duckdb-browser-eh.worker.js", "console/console.js",
            "console/console.json", "console/tables/verdicts.arrow.gz", duckdb_wasm.STAMP} <= added
    for rel, data_ in theirs.items():
        if rel in (site_mod.MANIFEST, site_mod.STATE) or rel.startswith("pagefind/"):  # lists of files
            continue
        if rel.endswith(".html") and rel != "404.html":
            links = NAV_LINK.findall(ours[rel].decode())
            assert len(links) == 1 and (full / Path(rel).parent / links[0].split('"')[1]).resolve() == full / "sql.html"
            assert NAV_LINK.sub("", ours[rel].decode()) == data_.decode(), rel
        else:
            assert ours[rel] == data_, rel
    stamp = (full / duckdb_wasm.STAMP).read_text(encoding="utf-8")
    assert "@duckdb/duckdb-wasm 1.32.0" in stamp
    assert "4c221bfa59c11f24dbd750e70c90b9252eca6eec5633936e6a2ec766e55fd879  duckdb-eh.wasm" in stamp
    assert (full / "console/duckdb/duckdb-eh.wasm").read_bytes()[:4] == b"\0asm"
    # the same folder built again without the console: exactly the plain build
    site_mod.build(example_db, full, search=False)
    assert {p.relative_to(full).as_posix(): p.read_bytes() for p in full.rglob("*") if p.is_file()} == theirs
    result = invoke("--db", example_db, "build", "--out", tmp_path / "cli", "--sql-console", PACKAGE.parent)
    assert result.exit_code == 0 and f"SQL console: {tmp_path / 'cli' / 'sql.html'}" in result.output


# ---- in the browser ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def console_site(tmp_path_factory, _example_db_template) -> Path:
    out = tmp_path_factory.mktemp("console") / "site"
    site_mod.build(_example_db_template, out, sql_console=PACKAGE)
    return out


def _run(page, sql: str, *, button: str = "#sql-run"):
    """Type ``sql`` (unless an example's button is given), run it, wait for its rows or its error."""
    from playwright.sync_api import expect
    if button == "#sql-run":
        page.fill("#sql-text", sql)
    page.click(button)
    expect(page.locator("#sql-meta")).not_to_have_text("Running…", timeout=60_000)


def _ready(page):
    from playwright.sync_api import expect
    expect(page.locator("#sql-status")).to_contain_text("Ready", timeout=120_000)


def _table(page) -> tuple[list[str], list[list[str]]]:
    head = page.locator("#sql-result thead th").all_inner_texts()
    rows = page.locator("#sql-result tbody tr").evaluate_all("rows => rows.map(r => Array.from(r.cells, c => c.textContent))")
    return [h.strip() for h in head], rows


def _text(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_text(v) for v in value) + "]"
    return str(value)


def _same(shown: str, value) -> bool:
    """A cell as the console shows it and the value `reportgen query` gives (floats as numbers)."""
    if isinstance(value, float):
        return math.isclose(float(shown), value, rel_tol=1e-12, abs_tol=1e-15)
    return shown == _text(value)


def _matches(page, db: Path, sql: str, *, ordered: bool = True) -> int:
    """The page's result table holds exactly the rows `reportgen query` gives for ``sql``; their number."""
    head, rows = _table(page)
    expected = run_query(db, sql)
    assert head == expected.columns, sql
    want = expected.rows()
    if not ordered:
        rows, want = sorted(rows), sorted(want, key=lambda r: [_text(v) for v in r])
    assert len(rows) == len(want), sql
    for shown, value in zip(rows, want):
        assert all(_same(s, v) for s, v in zip(shown, value)), (sql, shown, value)
    return len(rows)


@needs_browser
def test_the_console_over_reportgen_serve(browser, console_site, serve, _example_db_template):
    url = serve(console_site)
    w = Watched(browser, url, viewport={"width": 1280, "height": 900})
    # a shared link: the query is in the URL and runs once DuckDB is ready
    w.goto(url + "sql.html?sql=" + quote("SELECT count(*) FROM verdicts"))
    _ready(w.page)
    from playwright.sync_api import expect
    expect(w.page.locator("#sql-meta")).to_contain_text("1 row in", timeout=60_000)
    assert _table(w.page) == (["count_star()"], [["161"]])
    first = w.page.evaluate("performance.getEntriesByName('reportgen-sql-first-result')[0].startTime")
    print(f"\nSQL console: page load to first result {first / 1000:.1f} s ({w.page.inner_text('#sql-status')})")
    assert w.page.evaluate("typeof window.Arrow") == "object"  # the page loaded Arrow's bundle from the site
    # each example runs and matches `reportgen query` row for row, the per-paper one included
    for i, example in enumerate(console.examples()):
        _run(w.page, "", button=f".sql-example >> nth={i} >> .sql-example-run")
        assert w.page.input_value("#sql-text") == example.sql
        _matches(w.page, _example_db_template, example.sql)
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    w.page.screenshot(path=str(ROOT / "test-artifacts" / "sql-console.png"))  # the last example: win rate per paper
    # the README's queries
    for sql in README_QUERIES:
        _run(w.page, sql)
        _matches(w.page, _example_db_template, sql, ordered=False)
    # DuckDB's own message for a syntax error, and a query that tries to leave the site
    _run(w.page, "SELEC 1")
    assert w.page.locator("#sql-error").is_visible()
    assert 'Parser Error: syntax error at or near "SELEC"' in w.page.inner_text("#sql-error")
    assert w.page.locator("#sql-result tr").count() == 0
    _run(w.page, "SELECT * FROM read_csv('http://127.0.0.2:9/leak.csv')")
    assert "disabled by configuration" in w.page.inner_text("#sql-error")
    _run(w.page, "LOAD httpfs")
    assert "Loading external extensions is disabled" in w.page.inner_text("#sql-error")
    # Ctrl+Enter runs; the result sorts by a column, numbers as numbers and NULLs last
    w.page.fill("#sql-text", "SELECT * FROM (VALUES (2, 'b'), (10, NULL), (1, 'a')) t(n, s)")
    w.page.press("#sql-text", "Control+Enter")
    expect(w.page.locator("#sql-meta")).to_contain_text("3 rows in")
    w.page.locator("#sql-result th button", has_text="n").click()
    assert [r[0] for r in _table(w.page)[1]] == ["1", "2", "10"]
    w.page.locator("#sql-result th button", has_text="n").click()
    assert [r[0] for r in _table(w.page)[1]] == ["10", "2", "1"]
    w.page.locator("#sql-result th button", has_text="s").click()
    assert [r[1] for r in _table(w.page)[1]] == ["a", "b", "NULL"]
    assert w.page.locator("#sql-result th").nth(1).get_attribute("aria-sort") == "ascending"
    # the query is in the URL; the CSV holds the result
    assert parse_qs(urlparse(w.page.url).query)["sql"] == ["SELECT * FROM (VALUES (2, 'b'), (10, NULL), (1, 'a')) t(n, s)"]
    with w.page.expect_download() as download:
        w.page.click("#sql-csv")
    assert Path(download.value.path()).read_bytes() == b"n,s\r\n1,a\r\n2,b\r\n10,\r\n"
    # the list of tables, with their columns
    summaries = w.page.locator("#sql-tables summary").all_inner_texts()
    assert "verdicts table, 161 rows" in summaries and "base_wins view" in summaries
    w.page.locator("#sql-tables summary", has_text="verdicts table").click()
    assert "winner VARCHAR" in w.page.inner_text("#sql-tables")
    w.check()
    w.close()


@needs_browser
def test_the_console_under_a_path_prefix(browser, console_site, serve, tmp_path, _example_db_template):
    host = tmp_path / "host"
    host.mkdir()
    (host / "reportgen").symlink_to(console_site, target_is_directory=True)
    url = serve(host) + "reportgen/"
    w = Watched(browser, url, viewport={"width": 390, "height": 844})
    w.goto(url + "sql.html")
    _ready(w.page)
    for sql in README_QUERIES + ["SELECT count(*) FROM verdicts"]:
        _run(w.page, sql)
        _matches(w.page, _example_db_template, sql, ordered=False)
    w.check()
    w.close()


@needs_browser
def test_other_pages_load_nothing_of_the_console(browser, console_site, serve):
    url = serve(console_site)
    w = Watched(browser, url)
    seen: list[str] = []
    w.page.on("request", lambda r: seen.append(r.url))
    for page in ["index.html", "search.html", f"run/{EXAMPLE_RUN}/t/85.html"]:
        w.goto(url + page)
        assert w.page.locator("header a", has_text="SQL").count() == 1
    assert seen and not [u for u in seen if "/console/" in u]
    w.check()
    w.close()


@needs_browser
def test_the_console_from_a_file_says_to_serve_it(browser, console_site):
    w = Watched(browser, "file://")
    seen: list[str] = []
    w.page.on("request", lambda r: seen.append(r.url))
    w.goto((console_site / "sql.html").as_uri())
    assert "reportgen serve" in w.page.inner_text("#sql-status")
    assert not [u for u in seen if "/console/duckdb/" in u or u.endswith(".json")]
    w.check()
    w.close()


@pytest.fixture(scope="module")
def xss_console_site(tmp_path_factory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("xss-console")
    db = base / "xss.duckdb"
    ingest(db, [FIXTURES / "xss-items.csv", FIXTURES / "xss-verdicts.jsonl"], run="xss", mapping=XSS_MAP)
    out = base / "site"
    site_mod.build(db, out, sql_console=PACKAGE)
    return db, out


@needs_browser
def test_model_text_in_results_executes_nothing(browser, xss_console_site, serve):
    db, out = xss_console_site
    url = serve(out)
    w = Watched(browser, url)
    w.goto(url + "sql.html")
    _ready(w.page)
    for sql in ["SELECT * FROM items", "SELECT * FROM transcripts", "SELECT * FROM verdicts",
                "SELECT question AS \"<img src=x onerror=window.__pwned=1>\", paper FROM items"]:
        _run(w.page, sql)
        _matches(w.page, db, sql, ordered=False)
        assert w.page.evaluate("typeof window.__pwned") == "undefined", sql
        assert w.page.locator("main img, main iframe, main object, main embed, main script").count() == 0, sql
    _run(w.page, "SELECT base_answer FROM items WHERE item_key = 'x1'")
    assert '<script>window.__pwned = "script"</script>' in w.page.inner_text("#sql-result")
    for summary in w.page.locator("#sql-tables summary").all():
        summary.click()
    assert w.page.evaluate("typeof window.__pwned") == "undefined"
    w.check()
    w.close()


INTERVALS = ["INTERVAL 90 MINUTES", "INTERVAL 3 MONTHS", "INTERVAL 0 SECONDS", "INTERVAL '1 day -1 hour'",
             "INTERVAL 100000 HOURS", "INTERVAL 13 MONTHS", "INTERVAL '-1.25 seconds'", "INTERVAL 2147483647 DAYS",
             "INTERVAL 1 YEAR - INTERVAL 1 MICROSECOND", "-INTERVAL 90 MINUTES", "NULL"]
BLOB = r"'\x00\xFF\x5C\x27\x22a '::BLOB"  # a zero byte, a high byte, \ ' " and printable text


@needs_browser
def test_the_console_shows_times_intervals_and_blobs_as_duckdb_does(browser, console_site, serve, _example_db_template):
    """Each cell says what DuckDB's own text says (its cast to VARCHAR, run in the same page), or what
    `reportgen query` gives; nested values too. A parser error shows its LINE block once."""
    url = serve(console_site)
    w = Watched(browser, url, viewport={"width": 1280, "height": 900})
    w.goto(url + "sql.html")
    _ready(w.page)
    _run(w.page, "SELECT x, x::VARCHAR AS text FROM (VALUES " + ", ".join(f"({v})" for v in INTERVALS) + ") t(x)")
    head, rows = _table(w.page)
    assert len(rows) == len(INTERVALS) and [r[0] for r in rows[:2]] == ["01:30:00", "3 months"]
    assert all(shown == text for shown, text in rows), rows
    _run(w.page, f"""SELECT TIMESTAMPTZ '2024-01-02 03:04:05+05' AS tz, TIMESTAMPTZ '2024-01-02 03:04:05+05'::VARCHAR,
                     {BLOB} AS b, {BLOB}::VARCHAR, 2::UHUGEINT * 170141183460469231731687303715884105727 + 1 AS u,
                     (2::UHUGEINT * 170141183460469231731687303715884105727 + 1)::VARCHAR""")
    (tz, tz_text, blob, blob_text, u, u_text), = _table(w.page)[1]
    assert (tz, blob, u) == (tz_text, blob_text, u_text) and tz.endswith("+00") and blob.startswith("\\x00\\xFF")
    _run(w.page, "SELECT TIME '12:34:56.123456' AS t, TIME '00:00:00' AS midnight, TIME '23:59:59.5' AS half, "
                 "[INTERVAL 90 MINUTES, NULL] AS l, {'i': INTERVAL 3 MONTHS, 't': TIME '01:02:03'} AS s")
    assert _table(w.page)[1] == [["12:34:56.123456", "00:00:00", "23:59:59.500000", "[01:30:00, NULL]",
                                  "{i: 3 months, t: 01:02:03}"]]
    sql = "SELECT created_at::TIME AS t, created_at FROM runs"
    _run(w.page, sql)
    _matches(w.page, _example_db_template, sql)
    _run(w.page, "SELEC 1")
    error = w.page.inner_text("#sql-error")
    assert 'syntax error at or near "SELEC"' in error and error.count("LINE 1:") == 1, error
    w.check()
    w.close()
