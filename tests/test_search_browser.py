"""The search page in Chromium on a synthetic site with many matching transcripts, its index split in
shards (Pagefind bundles merged by the page): a page of results loads the fragments of the results it
shows and no others, excerpts come from the answers, and the paper, category and run filters are
Pagefind's, counted over every shard."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from urllib.parse import parse_qs, quote, urlparse

import pytest

from reportgen import site as site_mod
from reportgen.ingest import ingest
from reportgen.site import search
from reportgen.synth import generate
from conftest import XSS_MAP
from test_browser import Watched, serve  # noqa: F401  (serve: the fixture)

pytestmark = pytest.mark.slow

sync_api = pytest.importorskip("playwright.sync_api")
if not site_mod.pagefind_available():
    pytest.skip("pagefind is not installed (the site extra)", allow_module_level=True)

PAGE = 20  # results per page (templates/static/search.js)
FRAGMENT = re.compile(r"/pagefind/shard-\d+/fragment/")


@pytest.fixture(scope="module")
def synthetic_site(tmp_path_factory) -> Path:
    """Two runs of the same 150 synthetic items (~50 base wins each, nearly all saying "model")."""
    base = tmp_path_factory.mktemp("search")
    data = generate(base / "data", items=150, papers=6, seed=11)
    db = base / "s.duckdb"
    ingest(db, [data.csv, data.log], run="syn-a")
    ingest(db, [data.csv, data.log], run="syn-b")
    out = base / "site"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(search, "SHARD_PAGES", 25)  # ~100 transcript pages: 4 shards
        site_mod.build(db, out, formats=["html"])
    assert len(list((out / "pagefind").glob("shard-*/pagefind-entry.json"))) == 4
    return out


def _fragments(w: Watched) -> list[str]:
    return [u for u in w.requests if FRAGMENT.search(u)]


def _watch(browser, url) -> Watched:
    w = Watched(browser, url, viewport={"width": 1280, "height": 900})
    w.requests = []
    w.page.on("request", lambda r: w.requests.append(r.url))
    return w


def _status(w: Watched, text: str):
    sync_api.expect(w.page.locator("#search-status")).to_contain_text(text, timeout=20000)


def test_a_page_of_results_loads_only_its_fragments(browser, synthetic_site, serve):
    url = serve(synthetic_site)
    w = _watch(browser, url)
    w.goto(url + "search.html")
    _status(w, "Type words")
    assert _fragments(w) == []  # loading the page and its filters fetches no result
    w.page.fill("#q", "model")
    _status(w, "found, showing 1–20")
    w.page.wait_for_load_state("networkidle")
    total = int(re.match(r"(\d+) transcripts found", w.page.inner_text("#search-status")).group(1))
    assert total > 2 * PAGE  # many matches: three pages or more
    first = _fragments(w)
    assert len(first) == len(set(first)) == PAGE == w.page.locator("#search-results li").count()
    assert w.page.locator("#search-prev").is_disabled() and w.page.locator("#search-next").is_enabled()
    shown_first = w.page.locator("#search-results a").evaluate_all("els => els.map(e => e.href)")
    # the next page loads its own 20 fragments, none of the first page's
    w.page.click("#search-next")
    _status(w, "showing 21–40")
    w.page.wait_for_load_state("networkidle")
    second = _fragments(w)[len(first):]
    assert len(second) == len(set(second)) == PAGE and not set(second) & set(first)
    shown_second = w.page.locator("#search-results a").evaluate_all("els => els.map(e => e.href)")
    assert not set(shown_first) & set(shown_second)
    assert "page=2" in w.page.url
    # back to the first page: its fragments are loaded already
    w.page.click("#search-prev")
    _status(w, "showing 1–20")
    w.page.wait_for_load_state("networkidle")
    assert len(_fragments(w)) == 2 * PAGE
    # a link to the second page opens on the second page
    w.goto(url + "search.html?q=model&page=2")
    _status(w, "showing 21–40")
    w.check()
    w.close()


def test_excerpts_come_from_the_answers(browser, synthetic_site, serve):
    url = serve(synthetic_site)
    w = _watch(browser, url)
    w.goto(url + "search.html?q=hallucination")
    _status(w, "found")
    items = w.page.locator("#search-results li").all()
    assert items
    checked = 0
    for li in items[:5]:
        excerpt = " ".join(li.locator("p").inner_text().split())
        assert "hallucination" in li.locator("p mark").first.inner_text().lower()
        href = li.locator("a").get_attribute("href")
        page = w.context.new_page()
        page.goto(href)
        # what the page shows as the question and the answers, and nothing else
        body = page.locator("[data-pagefind-body]").evaluate_all("els => els.map(e => e.innerText).join(' ')")
        page.close()
        assert excerpt.rstrip(".…") in " ".join(body.split()), (href, excerpt)
        checked += 1
    assert checked == min(5, len(items))
    # words only the labels of a page say find nothing
    for label in ["permalink", "verdict", "imported-log"]:
        w.page.fill("#q", label)
        _status(w, "0 transcripts found")
    w.check()
    w.close()


def test_filters_are_pagefinds(browser, synthetic_site, serve):
    url = serve(synthetic_site)
    w = _watch(browser, url)
    w.goto(url + "search.html")
    _status(w, "Type words")
    options = {k: w.page.locator(f"#f-{k} option").all_inner_texts()[1:] for k in ["paper", "category", "run"]}
    assert [o.split(" (")[0] for o in options["run"]] == ["syn-a", "syn-b"]
    assert len(options["paper"]) == 6 and options["category"]
    # a filter alone lists its transcripts, as many as the option says
    run_a = options["run"][0]
    w.page.select_option("#f-run", "syn-a")
    count = int(re.search(r"\((\d+)\)$", run_a).group(1))
    _status(w, f"{count} transcripts found")
    for meta in w.page.locator("#search-results .meta").all_inner_texts():
        assert "syn-a" in meta and "syn-b" not in meta
    # words and a category together: every result has that category
    category = options["category"][0].split(" (")[0]
    w.page.select_option("#f-category", category)
    w.page.fill("#q", "model")
    _status(w, "found")
    metas = w.page.locator("#search-results .meta").all_inner_texts()
    assert metas and all(category in m.split(" · ") and "syn-a" in m for m in metas)
    assert "category=" + category in w.page.url and "run=syn-a" in w.page.url
    # an address with a filter opens with it picked
    w.goto(url + "search.html?run=syn-b")
    count_b = int(re.search(r"\((\d+)\)$", options["run"][1]).group(1))
    _status(w, f"{count_b} transcripts found")
    assert w.page.locator("#f-run").input_value() == "syn-b"
    assert all("syn-b" in m for m in w.page.locator("#search-results .meta").all_inner_texts())
    w.check()
    w.close()


def test_shards_under_a_path_prefix(browser, synthetic_site, serve, tmp_path):
    """A GitHub Pages project site is served at /<repo>/: the page merges every shard from there."""
    host = tmp_path / "host"
    host.mkdir()
    (host / "reportgen").symlink_to(synthetic_site, target_is_directory=True)
    url = serve(host) + "reportgen/"
    w = _watch(browser, url)
    w.goto(url + "search.html?q=model")
    _status(w, "found, showing 1–20")
    w.page.wait_for_load_state("networkidle")
    total = int(re.match(r"(\d+) transcripts found", w.page.inner_text("#search-status")).group(1))
    entries = {u.split("?")[0] for u in w.requests if "/pagefind-entry.json" in u}  # Pagefind adds ?ts=…
    assert entries == {f"{url}pagefind/shard-{k}/pagefind-entry.json" for k in range(4)}
    assert all(u.startswith(url) for u in _fragments(w)) and len(_fragments(w)) == PAGE
    hrefs = w.page.locator("#search-results a").evaluate_all("els => els.map(e => e.href)")
    assert hrefs and all(h.startswith(url + "run/") for h in hrefs)
    w.check()
    w.close()
    # every shard's matches: as many as with the site at the root
    root = serve(synthetic_site)
    w = _watch(browser, root)
    w.goto(root + "search.html?q=model")
    _status(w, f"{total} transcripts found")
    w.check()
    w.close()


# Names Pagefind's filters cannot carry as they are (" and \\), and some they can
ODD_PAPERS = ['The "quoted" paper', "Back\\slash paper", "A, B: C [d] (e)", "l'accent é & <x>"]
ODD_RUNS = ['run "q"', "plain-run"]


@pytest.fixture(scope="module")
def odd_names_site(tmp_path_factory) -> Path:
    """Two runs (one named with a quote) of two base wins in each of ODD_PAPERS."""
    base = tmp_path_factory.mktemp("odd-names")
    with open(base / "items.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "question", "paper", "reference", "base", "finetuned"])
        for i, paper in enumerate(ODD_PAPERS):
            for j in range(2):
                w.writerow([f"i{i}_{j}", f"Question {j} about paper {i}?", paper, "ref", "base answer", "ft"])
    (base / "v.verdicts.jsonl").write_text("".join(
        json.dumps({"item": f"i{i}_{j}", "winner": "base", "judge": "j"}) + "\n"
        for i in range(len(ODD_PAPERS)) for j in range(2)), encoding="utf-8")
    db = base / "odd.duckdb"
    for run in ODD_RUNS:
        ingest(db, [base / "items.csv", base / "v.verdicts.jsonl"], run=run, mapping=XSS_MAP)
    out = base / "site"
    site_mod.build(db, out, formats=["html"])
    return out


def test_filters_by_names_with_quotes(browser, odd_names_site, serve):
    """A paper or run named with " or \\ is listed, picked and linked to by its name, and finds its pages."""
    url = serve(odd_names_site)
    w = _watch(browser, url)
    w.goto(url + "search.html")
    _status(w, "Type words")
    assert sorted(w.page.locator("#f-paper option").all_inner_texts()[1:]) == sorted(f"{p} (4)" for p in ODD_PAPERS)
    assert sorted(w.page.locator("#f-run option").all_inner_texts()[1:]) == sorted(f"{r} (8)" for r in ODD_RUNS)
    for paper in ODD_PAPERS:
        w.page.select_option("#f-paper", label=f"{paper} (4)")
        _status(w, "4 transcripts found")
        metas = w.page.locator("#search-results .meta").all_inner_texts()
        assert len(metas) == 4 and all(m.split(" · ")[0] == paper for m in metas), metas
        assert parse_qs(urlparse(w.page.url).query)["paper"] == [paper]
    # a link naming the paper and the run opens with both picked
    w.goto(url + "search.html?paper=" + quote(ODD_PAPERS[0]) + "&run=" + quote(ODD_RUNS[0]))
    _status(w, "2 transcripts found")
    assert w.page.locator("#f-paper option:checked").inner_text() == f"{ODD_PAPERS[0]} (4)"
    assert w.page.locator("#f-run option:checked").inner_text() == f"{ODD_RUNS[0]} (8)"
    # the transcript page shows the names as they are
    w.page.locator("#search-results a").first.click()
    w.page.wait_for_load_state("load")
    assert w.page.locator("dl.facts dd a").all_inner_texts()[:2] == ODD_PAPERS[:1] + ODD_RUNS[:1]
    w.check()
    w.close()
