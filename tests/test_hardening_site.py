"""Hardening of the built site: an XSS corpus in every field that holds model or user text,
file names that cannot escape the output folder or collide, reproducible builds, and a
database in use during a build."""

import csv
import glob
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import honour_permissions, tree
from reportgen.ingest import ingest

HERE = Path(__file__).resolve().parent
PAYLOADS = json.loads((HERE / "fixtures" / "xss" / "payloads.json").read_text(encoding="utf-8"))
TAGS = ("script", "img", "svg", "iframe", "a ", "a>", "body", "style", "link", "object", "embed", "math",
        "details", "input", "video", "source", "meta", "base", "form", "button", "audio", "noscript", "p ")
HEADER = ["id", "question", "context", "true_answer", "base_model_answer", "finetuned_model_answer"]


def build(db: Path, out: Path, *extra: str, env: dict | None = None, **popen) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "reportgen", "--db", str(db), "build", "--out", str(out),
                           *map(str, extra)], capture_output=True, text=True, timeout=600,
                          env={**os.environ, **(env or {})}, **popen)


@pytest.fixture(scope="module")
def xss_db(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("xss-corpus")
    items = base / "items.csv"
    with open(items, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for i, p in enumerate(PAYLOADS):
            w.writerow([f"p{i}", f"Question {i}: {p}", f"Paper {i} {p}", f"Reference {i}\n\n{p}",
                        f"Base {i}\n\n{p}\n\n- item {p}", f"Fine-tuned {i} {p}\n\nSource: {p}"])
    verdicts = base / "verdicts.jsonl"
    verdicts.write_text("".join(json.dumps({"item": f"p{i}", "winner": "base", "rationale": f"because {p}",
                                            "judge": "xss-judge"}) + "\n" for i, p in enumerate(PAYLOADS)),
                        encoding="utf-8")
    db = base / "xss.duckdb"
    ingest(db, [items, verdicts], run="xss")
    return db


@pytest.fixture(scope="module")
def xss_site(xss_db, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("xss-site") / "site"
    r = build(xss_db, out)
    assert r.returncode == 0, r.stderr
    return out


def test_corpus_size():
    assert len(PAYLOADS) >= 30


def test_markdown_twin_has_no_raw_html_from_the_corpus(xss_site):
    mds = list(xss_site.rglob("*.md"))
    assert len(mds) > len(PAYLOADS)
    for md in mds:
        text = md.read_text(encoding="utf-8").lower()
        for tag in TAGS:
            assert f"<{tag}" not in text, f"{md}: raw <{tag}"
        assert "javascript:" not in text and "vbscript:" not in text


def test_markdown_twin_links_only_to_the_site(xss_site):
    """Parsed as CommonMark with every link allowed (a viewer that checks nothing), the twin's links are
    the site's own relative ones: the corpus's text forms none (its backslashes cannot free a bracket)."""
    from markdown_it import MarkdownIt
    md = MarkdownIt("commonmark")
    md.validateLink = lambda url: True
    hrefs = set()
    for path in xss_site.rglob("*.md"):
        for token in md.parse(path.read_text(encoding="utf-8")):
            for child in token.children or []:
                if child.type in ("link_open", "image"):
                    hrefs.add(child.attrGet("href") or child.attrGet("src"))
    assert hrefs
    assert not [h for h in hrefs if ":" in h or h.startswith("//") or not h.endswith((".md", ".csv", ".parquet", "/"))]


def test_html_has_no_active_markup_from_the_corpus(xss_site):
    pages = list(xss_site.rglob("*.html"))
    assert len(pages) > len(PAYLOADS)
    for page in pages:
        text = page.read_text(encoding="utf-8")
        low = text.lower()
        for needle in ("<script>window", "onerror=\"window", "onload=\"window", "<iframe", "<object", "<embed",
                       "href=\"javascript:", "href=\"vbscript:", "href=\"data:text", "src=\"http://127.0.0.1:9",
                       "<base ", "<meta http-equiv=\"refresh\"", "<form action=\"javascript", "<style>body"):
            assert needle not in low, f"{page}: {needle}"
        assert 'http-equiv="Content-Security-Policy"' in text


@pytest.mark.slow
def test_corpus_executes_nothing_in_chromium(xss_site, browser):
    pages = sorted(xss_site.rglob("*.html"))
    context = browser.new_context()
    page = context.new_page()
    dialogs, outside, errors = [], [], []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("request", lambda r: r.url.startswith(("file://", "data:")) or outside.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    for html in pages:
        page.goto(html.as_uri(), wait_until="load")
        # hover and focus everything a payload might hang an event on, then look at the DOM
        page.mouse.move(10, 10)
        page.keyboard.press("Tab")
        state = page.evaluate("""() => ({
            pwned: window.__pwned === undefined ? null : String(window.__pwned),
            handlers: [...document.querySelectorAll('*')].flatMap(e => [...e.attributes]
                .filter(a => a.name.startsWith('on')).map(a => e.tagName + ' ' + a.name)),
            links: [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))
                .filter(h => /^\\s*(javascript|vbscript|data|file):/i.test(h)),
            scripts: [...document.scripts].map(s => s.getAttribute('src') || 'inline:' + s.text.slice(0, 40)),
            frames: document.querySelectorAll('iframe, object, embed, frame').length,
        })""")
        assert state["pwned"] is None, (html, state)
        assert state["handlers"] == [] and state["links"] == [] and state["frames"] == 0, (html, state)
        assert all(not s.startswith("inline:") for s in state["scripts"]), (html, state["scripts"])
    context.close()
    assert dialogs == [] and outside == [] and errors == []


NASTY_PAPERS = ["../../etc/passwd", "/etc/passwd", "CON", "nul", "a/b\\c", ".", "..", "Paper A!", "paper a?",
                "x" * 300, "COM1.txt", "index", "run"]
NASTY_IDS = ["../escape", "/abs", "CON", "con", "A", "a", "x/../../y", ".", "aux", "LPT1", "a b", "é"]


def test_file_names_stay_inside_and_never_collide(tmp_path):
    items = tmp_path / "items.csv"
    with open(items, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for i, key in enumerate(NASTY_IDS):
            w.writerow([key, f"Question {i}?", NASTY_PAPERS[i % len(NASTY_PAPERS)], "ref", "base", "ft"])
        for j, paper in enumerate(NASTY_PAPERS[len(NASTY_IDS):]):
            w.writerow([f"extra{j}", f"Extra {j}?", paper, "ref", "base", "ft"])
    verdicts = tmp_path / "v.jsonl"
    keys = NASTY_IDS + [f"extra{j}" for j in range(len(NASTY_PAPERS) - len(NASTY_IDS))]
    verdicts.write_text("".join(json.dumps({"item": k, "winner": "base", "judge": "j"}) + "\n" for k in keys),
                        encoding="utf-8")
    db = tmp_path / "n.duckdb"
    ingest(db, [items, verdicts], run="nasty")
    out = tmp_path / "out" / "site"
    r = build(db, out)
    assert r.returncode == 0, r.stderr
    root = out.resolve()
    files = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert all(root in p.resolve().parents for p in files)
    assert not (tmp_path / "etc").exists() and not Path("/abs.html").exists()
    names = [p.relative_to(out).as_posix() for p in files]
    reserved = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
    assert not [n for n in names if n.rsplit("/", 1)[-1].split(".")[0].lower() in reserved]
    # one transcript page per item and one page per paper: nothing overwrote anything
    transcripts = [n for n in names if "/t/" in n and n.endswith(".html")]
    assert len(transcripts) == len(keys)
    assert len({n.lower() for n in names}) == len(names)  # also on case-insensitive file systems


def test_a_site_folder_cannot_make_a_build_touch_files_outside_it(example_db, tmp_path):
    """A site folder comes from elsewhere (a gh-pages branch, a copy): its manifest may name files outside it,
    directly or through a link, and its staging folder may be a link. A build removes and writes nothing there."""
    outside = tmp_path / "outside"
    (outside / "staged").mkdir(parents=True)
    victims = [outside / "abs.txt", outside / "rel.txt", outside / "linked.txt", outside / "staged" / "index.html"]
    for v in victims:
        v.write_text("precious", encoding="utf-8")
    out = tmp_path / "site"
    assert build(example_db, out, "--no-search").returncode == 0
    (out / "elsewhere").symlink_to(outside, target_is_directory=True)
    with open(out / ".reportgen-files", "a", encoding="utf-8") as fh:
        fh.write(f"{outside / 'abs.txt'}\n../outside/rel.txt\nelsewhere/linked.txt\n")
    (out / ".reportgen-staging").symlink_to(outside / "staged", target_is_directory=True)
    (out / "index.html").write_text("changed, so the build writes it again", encoding="utf-8")
    r = build(example_db, out, "--no-search")
    assert r.returncode == 0, r.stderr
    assert all(v.read_text(encoding="utf-8") == "precious" for v in victims)
    assert sorted(p.name for p in (outside / "staged").iterdir()) == ["index.html"]
    assert "<!doctype html>" in (out / "index.html").read_text(encoding="utf-8")
    assert not (out / ".reportgen-staging").exists()


def test_names_made_to_share_a_page_are_refused_not_overwritten(tmp_path):
    """An item key that is another key's slug (ABC's is abc-<sha256 prefix>), or runs whose names join alike
    in a comparison's file name: one sentence names both, and nothing is written."""
    import hashlib
    items = tmp_path / "items.csv"
    twin = "abc-" + hashlib.sha256(b"ABC").hexdigest()[:8]
    items.write_text(f"id,question,context,true_answer,base_model_answer,finetuned_model_answer\n"
                     f"ABC,Q1?,P,r,b,f\n{twin},Q2?,P,r,b,f\n", encoding="utf-8")
    verdicts = tmp_path / "v.jsonl"
    verdicts.write_text("".join(json.dumps({"item": k, "winner": "base"}) + "\n" for k in ("ABC", twin)), encoding="utf-8")
    db = tmp_path / "c.duckdb"
    ingest(db, [items, verdicts], run="r")
    r = build(db, tmp_path / "site", "--no-search")
    assert r.returncode == 1 and not (tmp_path / "site").exists()
    assert r.stderr == (f"Error: item 'ABC' of run 'r' and item '{twin}' of run 'r' would share the page "
                        f"run/r/t/{twin}; rename one of them\n")
    runs = tmp_path / "runs.duckdb"
    for name in ("x", "y--z", "x--y", "z"):
        ingest(runs, [_one_item(tmp_path)], run=name)
    r = build(runs, tmp_path / "site2", "--no-search")
    assert r.returncode == 1 and "would share the page compare/x--y--z; rename one of them" in r.stderr


def _one_item(tmp_path: Path) -> Path:
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps({"question_id": "q1", "model": "m", "games": [{"score": "A>B"}, {"score": "B>A"}]}) + "\n",
                    encoding="utf-8")
    return path


def test_two_builds_are_byte_identical_whatever_the_date(example_db, tmp_path):
    """Two builds under libfaketime (every clock of the process, DuckDB's and Pagefind's included,
    reads another date), in other time zones and with other string-hash seeds: the same bytes."""
    lib = sorted(glob.glob("/usr/lib/*/faketime/libfaketime.so.1"))
    if not lib:
        pytest.skip("libfaketime is not installed (make test installs it: apt-get install libfaketime)")
    a, b = tmp_path / "a", tmp_path / "b"
    for out, date, tz, seed in ((a, "@2001-02-03 04:05:06", "UTC", "1"), (b, "@2041-12-31 23:59:30", "Asia/Tokyo", "2")):
        env = {"LD_PRELOAD": lib[0], "FAKETIME": date, "DONT_FAKE_MONOTONIC": "1", "TZ": tz, "PYTHONHASHSEED": seed}
        clock = subprocess.run([sys.executable, "-c", "import time; print(time.strftime('%Y'))"],
                               env={**os.environ, **env}, capture_output=True, text=True, check=True)
        assert clock.stdout.strip() == date[1:5]  # the fake clock works
        r = build(example_db, out, env=env)
        assert r.returncode == 0, r.stderr
    ta, tb = tree(a), tree(b)
    assert ta == tb and len(ta) > 100


def test_build_while_the_database_is_being_written(example_db, tmp_path):
    out = tmp_path / "site"
    assert build(example_db, out).returncode == 0
    before = tree(out)
    holder = subprocess.Popen([sys.executable, "-c",
                               "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); "
                               "sys.stdin.read()", str(example_db)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # holds it until killed
    try:
        assert holder.stdout.readline().strip() == "ready"
        for cmd in (["build", "--out", str(out), "--clean"], ["query", "SELECT 1"], ["stats"]):
            r = subprocess.run([sys.executable, "-m", "reportgen", "--db", str(example_db), *cmd],
                               capture_output=True, text=True, timeout=120)
            assert r.returncode == 1, (cmd, r.stdout, r.stderr)
            assert "is in use by another process (DuckDB allows one writer at a time)" in r.stderr
            assert "Traceback" not in r.stderr
        assert tree(out) == before  # the previous site is intact
    finally:
        holder.kill()
        holder.wait()


def test_unwritable_output_folder_keeps_the_previous_site(example_db, tmp_path):
    """A rebuild into a read-only site folder: one line, and the previous site byte-identical (as
    root too: the rebuild runs without root's permission overrides, see conftest.honour_permissions)."""
    out = tmp_path / "site"
    assert build(example_db, out, "--format", "md").returncode == 0
    before = tree(out)
    changed = tmp_path / "tpl" / "md"  # a rebuild whose transcript pages all differ from the previous ones
    changed.mkdir(parents=True)
    base = (Path(__file__).resolve().parent.parent / "templates" / "md" / "transcript.md").read_text(encoding="utf-8")
    (changed / "transcript.md").write_text("(changed)\n" + base, encoding="utf-8")
    out.chmod(0o500)  # its subfolders stay writable: a build that wrote in place would change them
    try:
        r = build(example_db, out, "--format", "md", "--templates", tmp_path / "tpl", preexec_fn=honour_permissions)
    finally:
        out.chmod(0o700)
    assert r.returncode == 1 and r.stdout == "", r.stdout
    assert r.stderr.startswith(f"Error: {out}: cannot be written (") and r.stderr.count("\n") == 1, r.stderr
    assert tree(out) == before
    assert build(example_db, out, "--format", "md", "--templates", tmp_path / "tpl").returncode == 0
    assert tree(out) != before  # the same rebuild, allowed to write, changes the site


def test_disk_full_during_build_keeps_the_previous_site(example_db, tmp_path, monkeypatch):
    """The disk fills up after a few files of a rebuild: one-line error, previous site byte-identical."""
    import errno
    from reportgen import site as site_mod
    from reportgen.errors import ReportgenError
    out = tmp_path / "site"
    site_mod.build(example_db, out, search=False)
    before = tree(out)
    real = Path.write_bytes
    calls = {"n": 0}

    def filling_disk(self, data):
        calls["n"] += 1
        if calls["n"] > 5:
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return real(self, data)
    monkeypatch.setattr(Path, "write_bytes", filling_disk)
    changed = tmp_path / "tpl" / "html"  # a rebuild whose pages all differ from the previous ones
    changed.mkdir(parents=True)
    base = (Path(__file__).resolve().parent.parent / "templates" / "html" / "transcript.html").read_text(encoding="utf-8")
    (changed / "transcript.html").write_text(base.replace("</h1>", " (changed)</h1>", 1), encoding="utf-8")
    with pytest.raises(ReportgenError, match="cannot be written \\(No space left on device"):
        site_mod.build(example_db, out, search=False, templates_dir=tmp_path / "tpl")
    monkeypatch.setattr(Path, "write_bytes", real)
    assert tree(out) == before
    assert not (out / site_mod.STAGING).exists()
