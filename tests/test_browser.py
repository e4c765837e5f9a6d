"""The built site in a real browser (Debian chromium driven by Playwright): file://, `reportgen serve`,
search, no console errors or failed requests, and model text that executes nothing."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

from conftest import ROOT, XSS_MAP, start_server, stop_server
from reportgen import site as site_mod
from reportgen.demo import EXAMPLE_RUN
from reportgen.ingest import ingest

pytestmark = pytest.mark.slow

ARTIFACTS = ROOT / "test-artifacts"
FIXTURES = Path(__file__).parent / "fixtures" / "site"

sync_api = pytest.importorskip("playwright.sync_api")
if not site_mod.pagefind_available():
    pytest.skip("pagefind is not installed (the site extra)", allow_module_level=True)


class Watched:
    """A page that records console errors, failed requests, dialogs and requests leaving the site."""

    def __init__(self, browser, allowed_prefix: str, **options):
        self.context = browser.new_context(**options)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.failed: list[str] = []
        self.dialogs: list[str] = []
        self.outside: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("requestfailed", lambda r: self.failed.append(f"{r.url} {r.failure}"))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.on("request", lambda r: r.url.startswith((allowed_prefix, "data:")) or self.outside.append(r.url))

    def goto(self, url: str):
        self.page.goto(url, wait_until="load")
        self.page.wait_for_load_state("networkidle")

    def check(self):
        assert self.errors == [] and self.failed == [] and self.dialogs == [] and self.outside == []

    def close(self):
        self.context.close()


@pytest.fixture(scope="module")
def example_site(tmp_path_factory, _example_db_template) -> Path:
    out = tmp_path_factory.mktemp("browser") / "site"
    site_mod.build(_example_db_template, out)
    return out


@pytest.fixture(scope="module")
def xss_site(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("xss")
    db = base / "xss.duckdb"
    ingest(db, [FIXTURES / "xss-items.csv", FIXTURES / "xss-verdicts.jsonl"], run="xss", mapping=XSS_MAP)
    out = base / "site"
    site_mod.build(db, out)
    return out


@pytest.fixture
def serve(tmp_path):
    """Start `reportgen serve DIR` in a subprocess on a free 127.0.0.1 port (another, should that one be taken
    before it binds); stop it afterwards."""
    procs = []

    def start(directory: Path, prefix_dir: Path | None = None) -> str:
        proc, port = start_server(
            lambda port: [sys.executable, "-m", "reportgen", "serve", str(prefix_dir or directory), "--port", str(port)],
            tmp_path / f"serve-{len(procs)}.log", lambda port, said: f"http://127.0.0.1:{port}/" in said,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
        procs.append(proc)
        return f"http://127.0.0.1:{port}/"
    yield start
    for proc in procs:
        stop_server(proc)


def test_example_over_file_url(browser, example_site):
    ARTIFACTS.mkdir(exist_ok=True)
    w = Watched(browser, "file://", viewport={"width": 1280, "height": 900})
    w.goto((example_site / "index.html").as_uri())
    assert w.page.locator("h1").first.inner_text() == EXAMPLE_RUN
    assert "67.1 % (108/161, 95 % CI 59.5–73.9 %)" in w.page.inner_text(".headline")
    w.page.screenshot(path=str(ARTIFACTS / "index.png"), full_page=False)
    # the SQL behind a table, on demand
    details = w.page.locator("details.sql").nth(1)
    assert not details.locator("pre").is_visible()
    details.locator("summary").click()
    assert "wilson_low" in details.locator("pre").inner_text()
    # sorting works with the keyboard-reachable header buttons
    w.page.locator("table.sortable").first.locator("th button", has_text="base wins").click()
    first_row = w.page.locator("table.sortable").first.locator("tbody tr").first.inner_text()
    assert "(source unknown)" in first_row  # 0 base wins sorts first
    # the index links to the paginated list of every transcript, which links to each
    w.page.locator("a", has_text="Every base-win transcript").first.click()
    w.page.wait_for_load_state("load")
    assert w.page.url.endswith(f"/run/{EXAMPLE_RUN}/transcripts.html")
    w.page.locator("a", has_text="What are the potential limitations").first.click()
    w.page.wait_for_load_state("load")
    assert w.page.url.endswith(f"/run/{EXAMPLE_RUN}/t/85.html")
    assert w.page.locator(".answers .answer").count() == 3
    w.page.screenshot(path=str(ARTIFACTS / "transcript.png"), full_page=False)
    w.page.locator("a[rel=next]").click()
    w.page.wait_for_load_state("load")
    assert w.page.url.endswith("/t/87.html")
    # over file:// the search explains itself (Pagefind's index cannot be fetched) instead of failing
    w.goto((example_site / "search.html").as_uri())
    assert "served over http" in w.page.inner_text("#search-status")
    assert w.page.locator("#f-category").is_disabled()
    w.page.fill("#q", "survey")
    sync_api.expect(w.page.locator("#search-status")).to_contain_text("served over http")
    assert w.page.locator("#search-results li").count() == 0
    w.check()
    w.close()


def test_example_over_reportgen_serve_with_search(browser, example_site, serve):
    url = serve(example_site)
    w = Watched(browser, url, viewport={"width": 1280, "height": 900})
    w.goto(url)
    assert w.page.locator("h1").first.inner_text() == EXAMPLE_RUN
    w.page.locator("header a", has_text="Search").click()
    w.page.wait_for_load_state("load")
    w.page.fill("#q", "hallucinations")
    w.page.locator("#search-results li").first.wait_for(timeout=15000)
    status = w.page.inner_text("#search-status")
    assert "found" in status
    # filter by category narrows the results
    w.page.select_option("#f-category", "truncated")
    sync_api.expect(w.page.locator("#search-status")).to_contain_text("found")
    w.page.fill("#q", "")
    sync_api.expect(w.page.locator("#search-results li")).to_have_count(1, timeout=15000)
    w.page.screenshot(path=str(ARTIFACTS / "search.png"))
    w.page.locator("#search-results a").first.click()
    w.page.wait_for_load_state("load")
    assert "/t/" in w.page.url and "truncated" in w.page.inner_text(".categories")
    w.goto(url + "no/such/page")
    assert "Page not found" in w.page.inner_text("h1")
    # a 404 is a response, not a failed request; the console reports it as an error
    w.errors = [e for e in w.errors if "404" not in e]
    w.check()
    w.close()


def test_site_under_a_path_prefix(browser, example_site, serve, tmp_path):
    """GitHub Pages serves a project at /<repo>/: everything is relative, so it works there too."""
    host = tmp_path / "host"
    host.mkdir()
    (host / "reportgen").symlink_to(example_site, target_is_directory=True)
    url = serve(host) + "reportgen/"
    w = Watched(browser, url, viewport={"width": 390, "height": 844})  # narrow: answers stack
    w.goto(url + f"run/{EXAMPLE_RUN}/transcripts.html")
    w.page.locator("ol.transcripts a").first.click()
    w.page.wait_for_load_state("load")
    boxes = [w.page.locator(".answers .answer").nth(i).bounding_box() for i in range(3)]
    assert boxes[0]["y"] < boxes[1]["y"] < boxes[2]["y"]  # stacked on a narrow screen
    w.goto(url + "search.html?q=survey")
    w.page.locator("#search-results li").first.wait_for(timeout=15000)
    href = w.page.locator("#search-results a").first.get_attribute("href")
    assert href.startswith(url + "run/")
    w.check()
    w.close()


def test_model_text_executes_nothing(browser, xss_site, serve):
    url = serve(xss_site)
    for base in (xss_site.as_uri() + "/", url):
        w = Watched(browser, base)
        pages = ["index.html"] + sorted(p.relative_to(xss_site).as_posix() for p in xss_site.rglob("*.html")
                                        if "pagefind" not in p.parts)
        for rel in pages:
            w.goto(base + rel)
            assert w.page.evaluate("typeof window.__pwned") == "undefined", rel
            assert w.page.locator("iframe, img, object, embed").count() == 0, rel
        w.goto(base + "run/xss/t/x1.html")
        body = w.page.inner_text("main")
        assert '<script>window.__pwned = "script"</script>' in body  # shown as text
        if base.startswith("file"):
            ARTIFACTS.mkdir(exist_ok=True)
            w.page.screenshot(path=str(ARTIFACTS / "xss-transcript.png"))
        for link in w.page.locator("main a").all():
            link.hover()
        assert w.page.evaluate("typeof window.__pwned") == "undefined"
        if base.startswith("http"):
            w.goto(base + "search.html?q=pwned")
            w.page.locator("#search-results li").first.wait_for(timeout=15000)
            assert w.page.evaluate("typeof window.__pwned") == "undefined"
        w.check()
        w.close()


def test_runs_index_and_comparison_page(browser, tmp_path, _example_db_template, serve):
    import shutil
    from reportgen.demo import example_files
    db = tmp_path / "two.duckdb"
    shutil.copy(_example_db_template, db)
    ingest(db, example_files(), run="again")
    out = tmp_path / "site"
    site_mod.build(db, out)
    url = serve(out)
    w = Watched(browser, url, viewport={"width": 1280, "height": 900})
    w.goto(url)
    assert w.page.locator("h1").first.inner_text() == "Runs"
    w.page.locator("a", has_text=f"again vs {EXAMPLE_RUN}").click()
    w.page.wait_for_load_state("load")
    assert "compare/" in w.page.url and "53 same" in w.page.inner_text("ul.inline")
    assert "108 verdicts of again and 108 of" in w.page.inner_text("main")
    # keyboard: Tab to the first header button and sort with Enter
    w.page.locator("table.sortable th button").first.focus()
    w.page.keyboard.press("Enter")
    assert w.page.locator("table.sortable th").first.get_attribute("aria-sort") == "ascending"
    w.page.locator("a", has_text="again").first.click()
    w.page.wait_for_load_state("load")
    assert w.page.locator("h1").first.inner_text() == "again"
    w.check()
    w.close()


LONG = "x" * 300  # one unbroken token, as a model may write


@pytest.fixture(scope="module")
def long_token_site(tmp_path_factory) -> Path:
    """A 300-character token in a question, a rationale, a paper's and a run's name and the answers."""
    import csv
    import json
    base = tmp_path_factory.mktemp("long-token")
    with open(base / "items.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "question", "paper", "reference", "base", "finetuned"])
        w.writerow(["w1", f"What is {LONG}?", "Paper " + "p" * 300, f"The reference {LONG}",
                    f"Base {LONG}\n\n```\n{LONG}\n```\n\nand `{LONG}`", "Fine-tuned."])
        w.writerow(["w2", "A short question?", "Plain", "Reference.", "Base answer.", "Fine-tuned answer."])
    (base / "v.verdicts.jsonl").write_text(
        json.dumps({"item": "w1", "winner": "base", "judge": "j", "confidence": 0.9, "rationale": f"Since {LONG}."}) + "\n" +
        json.dumps({"item": "w2", "winner": "base", "judge": "j", "rationale": "Short."}) + "\n", encoding="utf-8")
    db = base / "long.duckdb"
    ingest(db, [base / "items.csv", base / "v.verdicts.jsonl"], run="run-" + "r" * 100, mapping=XSS_MAP)
    out = base / "site"
    site_mod.build(db, out)
    return out


def _too_wide(w: Watched) -> int | None:
    """The page's width where it is wider than the window (it scrolls sideways); None where it fits."""
    width, window = w.page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    return width if width > window else None


def test_no_page_scrolls_sideways_on_a_phone(browser, example_site, long_token_site, serve):
    """At 375 px every page of the example, and of a site with 300-character tokens, is as wide as the
    window: long words wrap (or scroll inside their own box), the page does not."""
    wide = {}
    for site in (example_site, long_token_site):
        w = Watched(browser, "file://", viewport={"width": 375, "height": 800})
        for page in sorted(site.rglob("*.html")):
            if "pagefind" not in page.parts:
                w.page.goto(page.as_uri(), wait_until="load")  # the style sheet is in by then
                if width := _too_wide(w):
                    wide[f"{site.parent.name}/{page.relative_to(site).as_posix()}"] = width
        w.check()
        w.close()
    url = serve(long_token_site)
    w = Watched(browser, url, viewport={"width": 375, "height": 800})
    w.goto(url + "search.html?q=what")
    sync_api.expect(w.page.locator("#search-status")).to_contain_text("1 transcript found")
    if width := _too_wide(w):
        wide["search.html?q=what"] = width
    w.check()
    w.close()
    assert wide == {}


def test_search_says_no_transcript_holds_a_word_none_does(browser, example_site, serve):
    """Pagefind finds a word no page holds by a shorter beginning of it ("qwertyuiop": the pages with "q");
    the search page says no transcript holds it instead, and still finds the words a beginning begins."""
    url = serve(example_site)
    w = Watched(browser, url, viewport={"width": 1280, "height": 900})
    status = w.page.locator("#search-status")
    w.goto(url + "search.html?q=qwertyuiop")
    sync_api.expect(status).to_have_text("No transcript contains “qwertyuiop”.")
    assert w.page.locator("#search-results li").count() == 0 and w.page.locator("#search-pages").is_hidden()
    w.page.fill("#q", "transf")
    sync_api.expect(status).to_contain_text("transcripts found")
    marks = [m.lower() for m in w.page.locator("#search-results mark").all_inner_texts()]
    assert marks and all(re.search(r"(?<![a-z])transf", m) for m in marks), marks  # fit_transform counts
    w.page.fill("#q", "hallucinations zzz")  # each word must be in a transcript
    sync_api.expect(status).to_have_text("No transcript contains “zzz”.")
    w.page.fill("#q", "running")  # found in its other forms too, as Pagefind finds words
    sync_api.expect(status).to_contain_text("found")
    assert w.page.locator("#search-results li").count() > 0
    w.check()
    w.close()


def test_the_404_page_links_to_the_index_under_a_path_prefix(browser, example_site, serve, tmp_path):
    """GitHub Pages serves 404.html at a missing address of a project site (/<repo>/…): its link leads to
    the report's index there."""
    host = tmp_path / "host"
    host.mkdir()
    (host / "reportgen").symlink_to(example_site, target_is_directory=True)
    (host / "404.html").write_bytes((example_site / "404.html").read_bytes())  # as Pages serves /<repo>/404.html
    url = serve(host) + "reportgen/"
    w = Watched(browser, url, viewport={"width": 1280, "height": 900})
    w.goto(url + "no-such-page.html")
    assert "Page not found" in w.page.inner_text("h1")
    link = w.page.locator("main a", has_text="index")
    assert link.count() == 1
    link.click()
    w.page.wait_for_load_state("load")
    assert w.page.url == url + "index.html" and w.page.locator("h1").first.inner_text() == EXAMPLE_RUN
    w.errors = [e for e in w.errors if "404" not in e]  # the missing page's status, reported by the console
    w.check()
    w.close()
