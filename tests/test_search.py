"""The search index: Pagefind indexes the question and the answers of each transcript page (not
the page's labels), records paper, run and categories as its filters, gives the same bytes for the
same pages, and covers a fixed sample above --search-limit, which the search page states.
The search page in a browser: tests/test_search_browser.py."""

from __future__ import annotations

import gzip
import json
import re

import pytest

from reportgen import site as site_mod
from reportgen import store
from reportgen.site import gather, indexed_pages, search_index

needs_pagefind = pytest.mark.skipif(not site_mod.pagefind_available(),
                                    reason="pagefind is not installed (the site extra)")
# words of the transcript pages that are labels, not what the models or the question said
CHROME = ["source paper", "verdict", "base model won", "Base win", "permalink", "Failure categories",
          "Reference answer", "imported-log", "judge's text", "None matched"]


def fragments(bundle: dict[str, bytes]) -> list[dict]:
    """Pagefind's page fragments (gzip, a 'pagefind_dcd' signature, then JSON), by URL."""
    out = []
    for rel, data in bundle.items():
        if rel.startswith("pagefind/fragment/"):
            raw = gzip.decompress(data)
            assert raw.startswith(b"pagefind_dcd")
            out.append(json.loads(raw[len(b"pagefind_dcd"):]))
    return sorted(out, key=lambda f: f["url"])


@pytest.fixture(scope="module")
def example_files_and_site(_example_db_template):
    files, _, _ = site_mod.collect(_example_db_template, search=False)
    with store.open_db(_example_db_template, read_only=True) as con:
        site = gather(con, search=False)
    return files, site


@needs_pagefind
def test_index_holds_question_and_answers_and_the_filters(example_files_and_site):
    files, site = example_files_and_site
    run = site.runs[0]
    bundle = search_index(files)
    frags = fragments(bundle)
    by_url = {f["url"]: f for f in frags}
    assert sorted(by_url) == sorted("/" + t.page + ".html" for t in run.transcripts) and len(frags) == 53
    for t in run.transcripts:
        f = by_url["/" + t.page + ".html"]
        content = f["content"]
        for label in CHROME:
            assert label not in content, (t.page, label)
        assert content.startswith(" ".join(t.question.split())[:60])
        for answer in (t.base, t.finetuned):  # the first words of both answers (Markdown markup aside)
            words = re.sub(r"[*_`#>\[\]()]", "", answer).split()[:4]
            assert " ".join(words) in re.sub(r"[*_`#>\[\]()]", "", content), (t.page, words)
        title, question = " ".join(f["meta"]["title"].split()), " ".join(t.question.split())
        # the page's h1: the question, shortened when long
        assert title == question or (len(t.question) > 300 and question.startswith(title.rstrip("…").rstrip()))
        assert f["filters"]["paper"] == [t.paper] and f["filters"]["run"] == [run.name]
        assert sorted(f["filters"].get("category", [])) == sorted(c.name for c in t.category_hits)
    # only the transcript pages go to Pagefind: a change elsewhere keeps the index as it was
    other = dict(files, **{"index.html": files["index.html"] + b"<!-- changed -->"})
    assert site_mod.html_digest({p: other[p] for p in indexed_pages(other)}) == \
        site_mod.html_digest({p: files[p] for p in indexed_pages(files)})


def test_indexed_pages_are_a_fixed_sample_above_the_limit(example_files_and_site):
    files, site = example_files_and_site
    transcripts = sorted(t.page + ".html" for t in site.runs[0].transcripts)
    assert indexed_pages(files) == transcripts  # under the limit: every transcript page, nothing else
    chosen = indexed_pages(files, 10)
    assert len(chosen) == 10 and set(chosen) <= set(transcripts)
    assert chosen == indexed_pages(dict(reversed(list(files.items()))), 10)  # not the order of the pages
    # the sample is stable: removing a page left out keeps it; removing a chosen one brings in one other page
    left_out = next(p for p in transcripts if p not in chosen)
    assert indexed_pages({p: b for p, b in files.items() if p != left_out}, 10) == chosen
    without = indexed_pages({p: b for p, b in files.items() if p != chosen[0]}, 10)
    assert len(set(without) - set(chosen)) == 1 and set(chosen) - set(without) == {chosen[0]}
    # nor does it follow the order of the items: the first 10 pages by path are not the sample
    assert chosen != transcripts[:10]


@needs_pagefind
def test_search_limit_indexes_a_sample_and_the_page_says_so(example_db, tmp_path, invoke):
    out = tmp_path / "site"
    r = invoke("--db", example_db, "build", "--out", out, "--search-limit", "10")
    assert r.exit_code == 0, r.output
    urls = [f["url"] for f in fragments({"pagefind/fragment/" + p.name: p.read_bytes()
                                         for p in (out / "pagefind" / "fragment").iterdir()})]
    files = {p.relative_to(out).as_posix(): b"" for p in out.rglob("*.html")}
    assert urls == ["/" + p for p in indexed_pages(files, 10)]
    page = (out / "search.html").read_text(encoding="utf-8")
    assert "The search covers 10 of the 53 transcripts" in page
    # under the default limit the page says nothing of a sample
    site_mod.build(example_db, tmp_path / "full")
    assert "search-coverage" not in (tmp_path / "full" / "search.html").read_text(encoding="utf-8")
    bad = invoke("--db", example_db, "build", "--out", out, "--search-limit", "0")
    assert bad.exit_code == 1 and "--search-limit takes a number of pages, at least 1" in bad.output
    assert "Traceback" not in bad.output


def test_searched_leaves_out_the_marked_spans_that_pagefind_does_not_read():
    from reportgen.site.search import searched
    page = (b"<h1 data-pagefind-body>Q</h1><!-- search: unindexed --><nav><a>next: X</a></nav>"
            b"<!-- /search: unindexed --><p>tail</p><!-- search: unindexed --><b data-pagefind-filter=\"run\">r</b>"
            b"<!-- /search: unindexed -->")
    assert searched(page) == (b"<h1 data-pagefind-body>Q</h1><p>tail</p><!-- search: unindexed -->"
                              b"<b data-pagefind-filter=\"run\">r</b><!-- /search: unindexed -->")
    assert searched(b"<p>no marks</p>") == b"<p>no marks</p>"


def test_gather_with_its_defaults_names_the_search_bundle(_example_db_template):
    with store.open_db(_example_db_template, read_only=True) as con:
        site = gather(con)  # search on, no limit given: the default one
    page = next(p for p in site.pages if p.path == "search")
    assert page.context["bundles"] == ["pagefind"]


def test_no_page_list_for_the_filters(example_files_and_site):
    files, _ = example_files_and_site
    assert "search-data.js" not in files
    assert b"search-data.js" not in files["search.html"]


@needs_pagefind
def test_the_same_pages_give_the_same_index(example_files_and_site):
    """Pagefind writes its filters in hash-map order (a new order every run): reportgen sorts them."""
    files, _ = example_files_and_site
    first = search_index(files)
    assert sum(p.startswith("pagefind/filter/") for p in first) == 3  # paper, run, category
    for _ in range(3):
        assert search_index(files) == first


@needs_pagefind
def test_a_site_without_transcripts_is_built_without_a_search_index(tmp_path, example_csv, invoke):
    """Items without a base win give no transcript page: the build says there is no index and why (Pagefind
    refuses a folder with nothing to index, which failed the build with 'install it with pip')."""
    from reportgen.ingest import ingest
    db = tmp_path / "items.duckdb"
    ingest(db, [example_csv], run="items-only")
    result = site_mod.build(db, tmp_path / "site")
    assert result.search is False
    assert not (tmp_path / "site" / "pagefind").exists()
    assert 'data-index="no"' in (tmp_path / "site" / "search.html").read_text(encoding="utf-8")
    r = invoke("--db", db, "build", "--out", tmp_path / "cli")
    assert r.exit_code == 0 and "no search index: no transcript to search" in r.output, r.output


@needs_pagefind
def test_no_search_leaves_the_index_out_and_says_nothing_of_it(example_db, tmp_path, invoke):
    out = tmp_path / "site"
    r = invoke("--db", example_db, "build", "--out", out, "--no-search")
    assert r.exit_code == 0 and "no search index" not in r.output, r.output
    assert not (out / "pagefind").exists()
    assert 'data-index="no"' in (out / "search.html").read_text(encoding="utf-8")
    r = invoke("--db", example_db, "build", "--out", out)  # the default: with Pagefind installed, an index
    assert r.exit_code == 0, r.output
    assert (out / "pagefind" / "pagefind.js").is_file()
