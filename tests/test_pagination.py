"""Paginated lists (reportgen.site.paging): bounded pages, stable permalinks, navigation in both
formats, and a small change in the data that changes only the pages holding it."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from conftest import tree
from reportgen import site as site_mod
from reportgen import store
from reportgen.demo import example_files
from reportgen.ingest import ingest
from reportgen.site import gather, paging
from reportgen.site.model import ListPage
from reportgen.site.render import Renderer

LINK = re.compile(r'(?:href|src)="([^"]*)"')
MD_LINK = re.compile(r"(?<!\\)\]\(([^)\s]+)\)")


@pytest.fixture
def small_pages(monkeypatch):
    """Pages of 2 to 8 items (about 4), so the 42 base wins of the example fill several."""
    monkeypatch.setattr(paging, "MIN_ITEMS", 2)
    monkeypatch.setattr(paging, "HIT", 3)
    monkeypatch.setattr(paging, "MAX_ITEMS", 8)


def _keys(n: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    return [f"item-{rng.randrange(10**9)}" for _ in range(n)]


def _pages(keys: list[str]) -> list[tuple[str, ...]]:
    return [tuple(keys[r.start:r.stop]) for r in paging.split(keys)]


# ------------------------------------------------------------------ the split itself


def test_split_covers_the_list_in_order_with_bounded_pages():
    keys = _keys(20_000)
    ranges = paging.split(keys)
    assert [k for r in ranges for k in keys[r.start:r.stop]] == keys
    sizes = [len(r) for r in ranges]
    assert max(sizes) <= paging.MAX_ITEMS and min(sizes[:-1]) >= paging.MIN_ITEMS
    assert 50 <= sum(sizes) / len(sizes) <= 90  # about 70 a page
    assert paging.split([]) == [range(0, 0)]  # an empty list still has its first page
    assert paging.split(keys) == ranges  # the same keys, the same pages


def test_removing_an_item_changes_only_its_page():
    """Take out one item at a time: unless it ended its page, or its page was at the minimum or cut at
    the maximum, every other page keeps exactly its items; the exceptions are rare."""
    keys = _keys(5_000)
    before = _pages(keys)
    page_of = {k: i for i, page in enumerate(before) for k in page}
    rng = random.Random(3)
    checked = exceptions = 0
    for key in rng.sample(keys, 400):
        page = before[page_of[key]]
        last = page_of[key] == len(before) - 1
        ordinary = (page[-1] != key and len(page) > paging.MIN_ITEMS
                    and (last or (len(page) < paging.MAX_ITEMS and paging._ends_page(page[-1]))))
        after = _pages([k for k in keys if k != key])
        if ordinary:
            assert after == [tuple(k for k in p if k != key) for p in before], key
            checked += 1
        else:
            exceptions += 1
    assert exceptions <= 40, (checked, exceptions)  # about 2 % (8 of 400 when written)


def test_window_and_paths():
    pages = paging.paginate("run/x/paper/p", list(range(40)), str)
    assert pages[0].path == "run/x/paper/p" and all(lp.path == f"run/x/paper/p/{lp.number}" for lp in pages[1:])
    lp = ListPage(base="b", number=6, count=12, items=[])
    assert lp.window == [1, None, 4, 5, 6, 7, 8, None, 12]
    assert ListPage(base="b", number=1, count=1, items=[]).window == [1]


# ------------------------------------------------------------------ the built site


def _judge(db: Path, tmp: Path, flip: str | None = None, run: str = "paged") -> Path:
    """The example items with one judge's verdicts: a base win on four items in five, ``flip`` a fine-tuned win."""
    import csv
    csv_path = example_files()[0]
    with csv_path.open(encoding="utf-8", newline="") as f:
        keys = [row["comparison_index"] for row in csv.DictReader(f)]
    jsonl = tmp / f"verdicts-{flip}.jsonl"
    jsonl.write_text("".join(
        json.dumps({"item": k, "winner": "finetuned" if i % 5 == 0 or k == flip else "base", "confidence": 0.5 + (i % 7) / 20,
                    "judge": "j"}) + "\n" for i, k in enumerate(keys)), encoding="utf-8")
    ingest(db, [csv_path, jsonl], run=run)
    return db


def _site(db: Path):
    with store.open_db(db, read_only=True) as con:
        return gather(con, search=False)


def _list_pages(site) -> list[ListPage]:
    out = []
    for run in site.runs:
        out += run.transcript_listing + run.paper_listing
        out += [lp for p in run.papers for lp in p.listing] + [lp for c in run.categories for lp in c.listing]
        out += [lp for a in run.agreements for lp in a.listing]
    return out + [lp for c in site.comparisons for lp in c.listing]


def test_lists_are_paginated_in_both_formats(small_pages, tmp_path):
    db = _judge(tmp_path / "a.duckdb", tmp_path)
    site = _site(db)
    [run] = site.runs
    assert len(run.transcript_listing) > 4 and any(len(p.listing) > 1 for p in run.papers)
    assert any(len(c.listing) > 1 for c in run.categories)
    for lp in _list_pages(site):
        assert len(lp.items) <= paging.MAX_ITEMS
    out = tmp_path / "site"
    site_mod.build(db, out, search=False)
    files = tree(out)
    # Page 1 of every list keeps its permalink; page n is permalink/n, in HTML and Markdown alike.
    for p in run.papers:
        assert f"{p.page}.html" in files and f"{p.page}.md" in files
        for lp in p.listing[1:]:
            assert f"{p.page}/{lp.number}.html" in files and f"{p.page}/{lp.number}.md" in files
    second = run.transcript_listing[1]
    html = (out / f"{second.path}.html").read_text(encoding="utf-8")
    md = (out / f"{second.path}.md").read_text(encoding="utf-8")
    assert 'rel="prev" href="../transcripts.html"' in html and 'rel="next" href="3.html"' in html
    assert '<span aria-current="page">2</span>' in html and f"page 2 of {second.count}" in html
    assert "[← previous](../transcripts.md)" in md and "**2**" in md and "[next →](3.md)" in md
    for t in second.items:
        assert f'href="../t/{t.key}.html"' in html and f"](../t/{t.key}.md)" in md
    # Every transcript is listed once over the pages of the run's list, and of its paper's.
    listed = [t.key for lp in run.transcript_listing for t in lp.items]
    assert listed == [t.key for t in run.transcripts]
    # The transcript pages no longer say "base win i of n"; their neighbours are still linked.
    t = run.papers[0].transcripts[1]
    page = (out / f"{t.page}.html").read_text(encoding="utf-8")
    assert not re.search(r"[Bb]ase win \d+ of \d+", page) and 'rel="prev"' in page
    # Every relative link of every page, later pages included, resolves.
    checked = 0
    for path in files:
        if not path.endswith((".html", ".md")):
            continue
        text = (out / path).read_text(encoding="utf-8")
        for link in (LINK if path.endswith(".html") else MD_LINK).findall(text):
            if link.startswith(("#", "data:", "http://", "https://")):
                continue
            target = (out / path).parent / link.split("#")[0]
            assert target.resolve().is_file(), f"{path} links to missing {link}"
            checked += 1
    assert checked > 1000


def _safe(pages: list[ListPage], key: str) -> bool:
    """Whether taking ``key`` out of this list changes only the page holding it (see paging's docstring)."""
    for i, lp in enumerate(pages):
        keys = [str(getattr(x, "key", x)) for x in lp.items]
        if key in keys:
            ended = i == len(pages) - 1 or (len(keys) < paging.MAX_ITEMS and paging._ends_page(keys[-1]))
            return keys[-1] != key and len(keys) > paging.MIN_ITEMS and ended
    return True


def test_one_changed_verdict_changes_only_the_pages_holding_it(small_pages, tmp_path):
    """One base win becomes a fine-tuned win: the only pages that change are the lists' pages that held
    it, the first pages and the run's page that count it, and its neighbours' transcript pages."""
    a = _judge(tmp_path / "a.duckdb", tmp_path)
    site = _site(a)
    [run] = site.runs
    key = next(t.key for t in run.transcripts[10:]
               if t.prev and t.next and _safe(run.transcript_listing, t.key)
               and all(_safe(p.listing, t.key) for p in run.papers)
               and all(_safe(c.listing, t.key) for c in run.categories) and t.categories)
    t = next(t for t in run.transcripts if t.key == key)
    b = _judge(tmp_path / "b.duckdb", tmp_path, flip=key)
    site_mod.build(a, tmp_path / "sa", search=False)
    site_mod.build(b, tmp_path / "sb", search=False)
    before, after = tree(tmp_path / "sa"), tree(tmp_path / "sb")
    changed = {p.rsplit(".", 1)[0] for p in set(before) | set(after)
               if p.endswith((".html", ".md")) and before.get(p) != after.get(p)}

    def holding(pages: list[ListPage]) -> set[str]:
        return {lp.path for lp in pages if any(getattr(x, "key", None) == key for x in lp.items)}

    paper = next(p for p in run.papers if p.paper == t.paper)
    lists = holding(run.transcript_listing) | holding(paper.listing)
    for c in run.categories:
        if c.name in t.categories:
            lists |= holding(c.listing) | {c.page}
    # The first page of every category counts the base wins with text, so every one changes.
    summaries = {"index", paper.page} | {c.page for c in run.categories}
    summaries |= {lp.path for lp in run.paper_listing if paper in lp.items}
    expected = lists | summaries | {t.page, t.prev.page, t.next.page}
    assert changed <= expected, sorted(changed - expected)
    assert lists <= changed and t.page in changed  # the pages holding it did change
    unchanged = [lp.path for lp in run.transcript_listing if lp.path not in changed]
    assert len(unchanged) >= len(run.transcript_listing) - 2 >= 3


def test_run_page_does_not_grow_with_the_data(tmp_path):
    """The run's page samples its lists (top papers, least confident base wins, first disagreements):
    with twice the items, in the same papers, it stays about the same size; list pages stay bounded."""
    from reportgen.synth import generate
    sizes = {}
    for items in (400, 800):
        data = generate(tmp_path / f"syn{items}", items=items, papers=30, seed=4)
        db = tmp_path / f"s{items}.duckdb"
        ingest(db, [data.csv, data.log, data.jsonl], run="s")
        site = _site(db)
        [run] = site.runs
        assert len(run.papers) == 30 and all(len(j.top_papers) <= 21 for j in run.judges)
        assert 0 < len(run.least_confident) <= 20 and all(len(a.top) <= 20 for a in run.agreements)
        pages = [p for p in site.pages if p.path == "index" or p.template in ("transcripts", "disagreements", "papers")]
        rendered = Renderer(["html", "md"]).render(pages, site)
        sizes[items] = len(rendered["index.html"]), len(rendered["index.md"])
        for lp in _list_pages(site):
            assert len(lp.items) <= paging.MAX_ITEMS
        index = rendered["index.html"]
        assert f'href="{run.transcripts_page}.html"' in index
        assert "The 20 papers with the most base wins, of 30" in index and f'href="{run.papers_page}.html"' in index
        assert "Least confident base wins" in index and "confidence " in index
        for t, v in run.least_confident:
            assert f'href="{t.page}.html"' in index
    (html_small, md_small), (html_big, md_big) = sizes[400], sizes[800]
    assert html_big < 1.05 * html_small and md_big < 1.05 * md_small, sizes


def test_comparison_pages(small_pages, tmp_path):
    """Two runs: the comparison's questions over several pages, changes first, the counts on page 1 only."""
    from reportgen.site.render import render_site
    db = _judge(tmp_path / "a.duckdb", tmp_path, run="first")
    _judge(db, tmp_path, flip="87", run="second")
    site = _site(db)
    [cmp] = site.comparisons
    assert len(cmp.listing) > 3 and [r for lp in cmp.listing for r in lp.items] == cmp.rows
    pages = render_site(site)
    first, second = pages[cmp.page + ".html"], pages[cmp.listing[1].path + ".html"]
    assert "<strong>1</strong> flipped to fine-tuned" in first and "flipped" not in second
    assert 'rel="next" href="first--second/2.html"' in first
    assert 'rel="prev" href="../first--second.html"' in second and f"page 2 of {len(cmp.listing)}" in second
    md = pages[cmp.listing[1].path + ".md"]
    assert "[← previous](../first--second.md)" in md and md.count("\n| same |") == len(cmp.listing[1].items)
