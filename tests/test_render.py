"""site/render.py: untrusted text, file names, and every page template rendered with real data."""

from __future__ import annotations

import gc
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, XSS_MAP, tree
from reportgen import store
from reportgen.demo import EXAMPLE_RUN, example_files
from reportgen.ingest import ingest
from reportgen.site import build, gather, slug
from reportgen.site.model import Site
from reportgen.site.render import markdown_html, md_cell, md_quote, md_text, render_site
from reportgen.errors import UsageError

FIXTURES = Path(__file__).parent / "fixtures" / "site"


def _site(db: Path, run: str | None = None, search: bool = False) -> Site:
    with store.open_db(db, read_only=True) as con:
        return gather(con, run, search=search)


def two_runs(db: Path) -> Path:
    """The example as run A, and run B: the same items where a judge flips five base wins to fine-tuned."""
    csv_path = example_files()[0]
    site = _site(db)
    keys = [t.key for t in site.runs[0].transcripts]
    jsonl = db.parent / "second-judge.jsonl"
    jsonl.write_text("".join(json.dumps({"item": k, "winner": "finetuned" if i < 5 else "base", "judge": "second"}) + "\n"
                             for i, k in enumerate(keys)), encoding="utf-8")
    ingest(db, [csv_path, jsonl], run="checkpoint-2")
    return db


# ------------------------------------------------------------------ untrusted text


def test_markdown_renders_structure():
    html = markdown_html("# Title\n\n- **bold** item\n- two\n\n```\ncode <b>\n```\n")
    assert "<h4>Title</h4>" in html  # headings of an answer sit below the page's own
    assert "<li><strong>bold</strong> item</li>" in html
    assert "<pre><code>code &lt;b&gt;\n</code></pre>" in html


@pytest.mark.parametrize("payload, forbidden", [
    ("<script>window.__pwned=1</script>", "<script"),
    ('<img src=x onerror="window.__pwned=1">', "<img"),
    ("<iframe src=x></iframe>", "<iframe"),
    ("[x](javascript:window.__pwned=1)", "href=\"javascript"),
    ("[x](JaVaScRiPt:alert(1))", "href=\"javascript"),
    ("[x](data:text/html,hi)", "href=\"data:"),
    ("![pixel](http://example.invalid/p.png)", "<img"),
])
def test_markdown_html_refuses_payloads(payload, forbidden):
    html = markdown_html(payload)
    assert forbidden not in html.lower()


def test_markdown_links_are_nofollow():
    assert 'rel="nofollow noopener noreferrer"' in markdown_html("[ok](https://example.org)")


def test_markdown_twin_text_has_no_raw_html_or_links():
    text = md_text('<script>x</script> [a](javascript:alert(1)) [b]: javascript:alert(2) a & b')
    assert "<" not in text
    assert "](" not in text.replace("\\](", "")
    assert "javascript:" not in text.lower()
    assert "&amp;" in text
    assert md_quote("# h\n\n- a") == "> # h\n>\n> - a"
    assert md_cell("a | b\nc") == "a \\| b c"


SLUG_TEXTS = ["85", "item_7", "abc-DEF", "../../etc/passwd", "a/b", ".hidden", "", " ", "é", "x" * 200, "CON",
              "a\\b"]


@pytest.fixture(scope="module")
def slugs_elsewhere() -> dict[str, str]:
    """The slugs of SLUG_TEXTS computed by another process, with another string-hash seed."""
    code = ("import json, sys; from reportgen.site import slug; "
            "print(json.dumps({t: slug(t) for t in json.loads(sys.stdin.read())}))")
    r = subprocess.run([sys.executable, "-c", code], input=json.dumps(SLUG_TEXTS), capture_output=True, text=True,
                       env={**os.environ, "PYTHONHASHSEED": "12345"}, timeout=120, check=True)
    return json.loads(r.stdout)


@pytest.mark.parametrize("text", SLUG_TEXTS)
def test_slug_is_a_safe_stable_file_name(text, slugs_elsewhere):
    s = slug(text)
    assert re.fullmatch(r"[a-z0-9][a-z0-9_-]*", s), s
    assert len(s) <= 64
    assert slugs_elsewhere[text] == s  # the same page name in every build


def test_slug_keeps_distinct_texts_apart():
    texts = ["Item 1", "item-1", "ITEM 1", "item 1", "item_1", "item--1"]
    assert len({slug(t) for t in texts}) == len(texts)
    assert slug("85") == "85"
    assert slug("A Paper", always_hash=True) != slug("a paper", always_hash=True)


# ------------------------------------------------------------------ pages


def test_example_pages_and_honest_numbers(example_db):
    site = _site(example_db)
    pages = render_site(site)
    run = site.runs[0]
    assert site.single and run.name == EXAMPLE_RUN
    assert len(run.transcripts) == 53
    expected = {"index.html", "index.md", "search.html", "404.html"}
    expected |= {t.page + ext for t in run.transcripts for ext in (".html", ".md")}
    expected |= {p.page + ".html" for p in run.papers} | {c.page + ".md" for c in run.categories}
    assert expected <= set(pages)
    assert "search.md" not in pages and "404.md" not in pages
    index = pages["index.html"]
    # The same headline as `reportgen stats`.
    assert "67.1 % (108/161, 95 % CI 59.5–73.9 %)" in index
    for label, value in [("base wins", 53), ("fine-tuned wins", 108), ("ties", 0), ("invalid", 0),
                         ("unjudged", 13), ("source unknown", 108)]:
        assert f"<dt>{label}</dt><dd>{value}</dd>" in index
    # No paper of the example gets a made-up 0 % rate: the rates are withheld with the reason.
    assert "0.0 %" not in index
    assert "108 verdicts of this judge have no known paper" in index
    assert "<svg" in index and "Base wins per paper" in index
    assert "sql/report/papers.sql" in index and "wilson_low" in index
    # every base-win transcript is linked from the run's paginated list, which the index links to
    assert f'href="{run.transcripts_page}.html"' in index
    listed = "".join(pages[lp.path + ".html"] for lp in run.transcript_listing)
    for t in run.transcripts:
        assert f'href="t/{t.key}.html"' in listed or f'href="../t/{t.key}.html"' in listed
    assert "67.1 % (108/161, 95 % CI 59.5–73.9 %)" in pages["index.md"]
    assert "0.0 %" not in pages["index.md"]


def test_transcript_page(example_db):
    site = _site(example_db)
    pages = render_site(site)
    run = site.runs[0]
    first, second = run.transcripts[0], run.transcripts[1]
    assert first.paper == second.paper and first.next is second and second.prev is first
    html = pages[second.page + ".html"]
    assert not re.search(r"[Bb]ase win \d+ of \d+", html + pages[second.page + ".md"])  # changed with every base win
    assert 'rel="prev" href="85.html"' in html and 'rel="next"' in html
    # the search indexes the question and the three answers (tests/test_search.py), filtered by paper, run, category
    assert html.count("data-pagefind-body") == 4 and 'data-pagefind-body data-pagefind-meta="title"' in html
    assert f'data-pagefind-filter="paper:{second.paper}"' in html and f'data-pagefind-filter="run:{run.name}"' in html
    assert "Reference answer" in html and "Base model" in html and "Fine-tuned model" in html
    assert "<ol>" in html or "<ul>" in html  # answers are rendered Markdown
    assert html.count('content="default-src \'none\'') == 1
    md = pages[second.page + ".md"]
    assert "## Base model (won)" in md and "[← previous](85.md)" in md


def test_paper_and_category_pages(example_db):
    site = _site(example_db)
    pages = render_site(site)
    run = site.runs[0]
    paper = next(p for p in run.papers if p.paper.startswith("What is the Role of Small Models"))
    html = pages[paper.page + ".html"]
    assert "Base-win transcripts (15)" in html and html.count('<li><a href="../t/') == 15
    assert "not shown" in html
    category = next(c for c in run.categories if c.name == "shorter_answer")
    html = pages[category.page + ".html"]
    assert "Base-win transcripts (45)" in html and "45 of 53 base wins with text: 84.9 % (45/53, 95 % CI 72.9–92.1 %)" in html
    assert "Base-win transcripts (45)" in pages[category.page + ".md"]


def test_runs_index_and_comparison(example_db):
    db = two_runs(example_db)
    site = _site(db)
    pages = render_site(site)
    assert not site.single and [r.name for r in site.runs] == ["checkpoint-2", EXAMPLE_RUN]
    assert "<h1>Runs</h1>" in pages["index.html"]
    assert "run/checkpoint-2/index.html" in pages and "run/llama31-8b-paper-qa/index.html" in pages
    [cmp] = site.comparisons
    html = pages[cmp.page + ".html"]
    assert dict(cmp.counts)["flipped away from fine-tuned"] == 5
    assert dict(cmp.counts)["same"] == 48
    assert "5 flipped away from fine-tuned" in pages["index.html"]
    assert html.index("flipped away from fine-tuned") < html.index("<td>same</td>")
    assert cmp.page + ".md" in pages


def _attributes(html: str) -> list[tuple[str, str, str | None]]:
    """Every (tag, attribute name, value) of a page, as a browser's tokenizer reads them."""
    from html.parser import HTMLParser
    found = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.extend((tag, name.lower(), value) for name, value in attrs)
        handle_startendtag = handle_starttag

    Collect(convert_charrefs=True).feed(html)
    return found


def test_xss_fixture_renders_as_text(tmp_path):
    db = tmp_path / "xss.duckdb"
    ingest(db, [FIXTURES / "xss-items.csv", FIXTURES / "xss-verdicts.jsonl"], run="xss", mapping=XSS_MAP)
    pages = render_site(_site(db))
    for path, text in pages.items():
        if path.endswith(".md"):
            assert re.search(r"<[a-zA-Z/!?]", text) is None, path  # no raw HTML at all in the twin
            continue
        assert re.search(r"<script(?! src=\"[./a-z-]+\.js\"( data-index=\"(yes|no)\")? defer>)", text) is None, path
        assert re.search(r"<(iframe|img|object|embed)\b", text, re.I) is None, path
        handlers = [(tag, name) for tag, name, _ in _attributes(text) if name.startswith("on")]
        assert handlers == [], path  # no event-handler attribute (text like " onerror=" inside a value is fine)
        assert re.search(r"(href|src)=\"\s*(javascript|data:text)", text, re.I) is None, path
    transcript = next(t for p, t in pages.items() if p.endswith("/t/x1.html"))
    assert "&lt;script&gt;window.__pwned" in transcript
    assert re.search(r"<script(?! src=)", transcript) is None


def test_templates_override(example_db, tmp_path):
    (tmp_path / "tpl" / "html").mkdir(parents=True)
    (tmp_path / "tpl" / "html" / "404.html").write_text("<p>custom {{ site.title }}</p>", encoding="utf-8")
    pages = render_site(_site(example_db), templates_dir=tmp_path / "tpl")
    assert pages["404.html"] == f"<p>custom reportgen: {EXAMPLE_RUN}</p>\n"
    assert "<!doctype html>" in pages["index.html"]  # the others stay the bundled ones


def test_two_judges_in_one_run(tmp_path):
    """A second judge with every verdict attributed: per-paper rates with intervals, and a transcript
    page shows what each judge said about its question."""
    csv_path, log_path = example_files()
    import csv
    with csv_path.open(encoding="utf-8", newline="") as f:
        keys = [row["comparison_index"] for row in csv.DictReader(f)]
    jsonl = tmp_path / "qwen.jsonl"
    winners = ["base", "finetuned", "tie", "invalid"]
    jsonl.write_text("".join(json.dumps({"item": k, "winner": winners[i % 4], "confidence": 0.7, "judge": "qwen",
                                         "rationale": "<b>bold</b> claim"}) + "\n"
                             for i, k in enumerate(keys)), encoding="utf-8")
    db = tmp_path / "two.duckdb"
    ingest(db, [csv_path, log_path, jsonl], run="two-judges")
    site = _site(db)
    pages = render_site(site)
    [run] = site.runs
    assert [j.judge for j in run.judges] == ["imported-log", "qwen"]
    qwen = run.judges[1]
    assert qwen.rate_note is None and all(p["finetuned_win_rate"] is not None for p in qwen.papers)
    index = pages["index.html"]
    assert "Dots: fine-tuned win rate" in index and '<circle class="dot"' in index
    t = next(t for t in run.transcripts if len(t.all_verdicts) == 2
             and {v["winner"] for v in t.all_verdicts} == {"base", "finetuned"})
    html = pages[t.page + ".html"]
    assert "<dt>verdict (imported-log)</dt><dd><strong>base model won</strong>" in html
    assert "<dt>verdict (qwen)</dt><dd><strong>fine-tuned model won</strong> · confidence 70.0 %" in html
    assert "&lt;b&gt;bold&lt;/b&gt; claim" in html
    assert html.count('<a class="tag" href=') == len(t.categories)  # once each, not once per judge


def test_judge_reliability_and_agreement_as_in_stats(example_db):
    """A judge that stored both orders gets the reliability table; two judges of a run their agreement:
    the same numbers as `reportgen stats`."""
    from judge_fake import FakeJudge, prefers_longer

    from reportgen import stats
    from reportgen.judge import judge_run
    judge_run(example_db, FakeJudge(prefers_longer), run=EXAMPLE_RUN, limit=6)
    site = _site(example_db)
    pages = render_site(site)
    [run] = site.runs
    fake = next(j for j in run.judges if j.judge == "local:fake")
    assert fake.reliability and fake.reliability[0]["items"] == 6
    [agreement] = run.agreements
    with store.open_db(example_db, read_only=True) as con:
        summary = stats.text(stats.summary(con, EXAMPLE_RUN))
    line = next(line for line in summary.splitlines() if "same winner on" in line).strip()
    index = pages["index.html"]
    assert "<h3>Judge reliability</h3>" in index and "swap consistency" in index
    numbers = re.search(r"same winner on (\d+) of (\d+) common items both judged validly \(([\d.]+ %), "
                        r"95 % CI ([\d.]+ %)–([\d.]+ %)\);.* (\d+) of the (\d+) common items have an invalid", line).groups()
    assert (f"Same winner on <strong>{numbers[0]} of {numbers[1]}</strong> common items both judged validly "
            f"({numbers[2]}, 95 % CI {numbers[3]}–{numbers[4]})") in index
    assert f"{numbers[5]} of the {numbers[6]} common items have an invalid verdict of either judge" in index
    assert agreement["valid_items"] == int(numbers[1]) and agreement["common_items"] == int(numbers[6])
    assert "## Judge agreement: imported-log vs local:fake" in pages["index.md"]
    assert "### Judge reliability" in pages["index.md"]


class _Pools(list):
    """The size of each pool forked; ``threads``: the build's own threads alive when each was."""

    def __init__(self):
        super().__init__()
        self.threads: list[list[str]] = []


def _forked_pools(monkeypatch) -> _Pools:
    """Render with 2 worker processes above 50 pages (the example sites are smaller than
    PARALLEL_FROM); the list returned fills with the size of each pool forked."""
    import multiprocessing
    import threading
    from reportgen.site import render as render_mod
    monkeypatch.setenv("REPORTGEN_WORKERS", "2")
    monkeypatch.setattr(render_mod, "PARALLEL_FROM", 50)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})  # 2 workers on a 1-core runner too
    pools = _Pools()
    real = multiprocessing.get_context

    class Spy:
        def __init__(self, method):
            self.context = real(method)

        def Pool(self, workers, **kwargs):
            pools.append(workers)
            pools.threads.append(sorted(t.name for t in threading.enumerate() if t.name.startswith("reportgen")))
            return self.context.Pool(workers, **kwargs)
    monkeypatch.setattr(multiprocessing, "get_context", Spy)
    return pools


def test_parallel_rendering_gives_the_same_pages(tmp_path, monkeypatch):
    """Above PARALLEL_FROM pages the renderer forks workers; the output must not change."""
    from reportgen import site as site_mod
    from reportgen.site import render as render_mod
    from reportgen.synth import generate
    from reportgen.ingest import ingest
    data = generate(tmp_path / "syn", items=400, papers=4, seed=2)
    db = tmp_path / "p.duckdb"
    ingest(db, [data.csv, data.log, data.jsonl], run="p")
    monkeypatch.setenv("REPORTGEN_WORKERS", "1")
    sequential, pages, _ = site_mod.collect(db, search=False)
    pools = _forked_pools(monkeypatch)
    parallel, _, _ = site_mod.collect(db, search=False)
    assert pools == [2] and parallel == sequential
    bad = tmp_path / "tpl" / "html"
    bad.mkdir(parents=True)
    (bad / "transcript.html").write_text("{{ nonexistent.attr }}", encoding="utf-8")
    with pytest.raises(UsageError, match=r"page run/p/t/.*\.html failed to render \('nonexistent' is undefined\)"):
        site_mod.collect(db, search=False, templates_dir=tmp_path / "tpl")


def _collecting(rel: str, text: str) -> bool:
    return gc.isenabled()


@pytest.mark.parametrize("workers", ["1", "2"])
def test_rendering_collects_though_the_build_does_not(example_db, monkeypatch, workers):
    """The builder pauses the cycle collector while it gathers; pages render with it on (Jinja makes
    cyclic garbage), in this process or in the forked workers, and afterwards the collector is as
    the caller left it and nothing stays frozen."""
    from reportgen.site import render as render_mod
    from reportgen.site.gathering import gather
    with store.open_db(example_db, read_only=True) as con:
        site = gather(con, search=False)
    pools = _forked_pools(monkeypatch)
    monkeypatch.setenv("REPORTGEN_WORKERS", workers)
    gc.disable()
    try:
        out = render_mod.Renderer(["html"]).render(site.pages, site, each=_collecting)
        assert not gc.isenabled()
    finally:
        gc.enable()
    assert pools == ([2] if workers == "2" else []) and len(out) > 50 and all(out.values())
    assert gc.get_freeze_count() == 0


def test_parallel_build_writes_from_the_workers(tmp_path, monkeypatch):
    """The workers write the pages they render: with 2 workers a first build (into a new folder) and
    a rebuild after every transcript page changed (staged) hold exactly the files collect() makes; a
    page failing in a worker leaves the previous site as it was, and a first build that fails leaves
    no folder behind."""
    import hashlib
    from reportgen import site as site_mod
    from reportgen.ingest import ingest
    from reportgen.synth import generate
    data = generate(tmp_path / "syn", items=400, papers=4, seed=3)
    db = tmp_path / "p.duckdb"
    ingest(db, [data.csv, data.log], run="p")
    pools = _forked_pools(monkeypatch)

    def hashed(files):
        return {rel: hashlib.sha256(content).hexdigest() for rel, content in files.items()}

    out = tmp_path / "site"
    first = site_mod.build(db, out, search=False)
    assert pools == [2] and first.pages > 100 and len(first.rendered) == first.pages
    assert tree(out) == hashed(site_mod.collect(db, search=False)[0])
    tpl = tmp_path / "tpl" / "html"
    tpl.mkdir(parents=True)
    text = (ROOT / "templates" / "html" / "transcript.html").read_text(encoding="utf-8")
    (tpl / "transcript.html").write_text(text.replace("</h1>", " (changed)</h1>", 1), encoding="utf-8")
    again = site_mod.build(db, out, search=False, templates_dir=tpl.parent)
    assert pools == [2, 2, 2] and not (out / site_mod.STAGING).exists()  # collect() forked one too
    assert {rel for rel in again.rendered if not rel.startswith("run/p/t/")} == set()
    assert len(again.rendered) == sum(rel.startswith("run/p/t/") and rel.endswith(".html") for rel in tree(out))
    assert tree(out) == hashed(site_mod.collect(db, search=False, templates_dir=tpl.parent)[0])
    before = tree(out)
    (tpl / "transcript.html").write_text(text.replace("</h1>", "{{ nonexistent.attr }}</h1>", 1), encoding="utf-8")
    with pytest.raises(UsageError, match="failed to render"):
        site_mod.build(db, out, search=False, templates_dir=tpl.parent)
    assert tree(out) == before and not (out / site_mod.STAGING).exists()
    with pytest.raises(UsageError, match="failed to render"):
        site_mod.build(db, tmp_path / "new", search=False, templates_dir=tpl.parent)
    assert not (tmp_path / "new").exists()


_RENDER_404 = ("import sys; from pathlib import Path; from reportgen.site.render import environment; "
               "print(environment('html', Path(sys.argv[1])).get_template('404.html').render(site={'title': 'T'}))")


def _render_404(templates: Path, cache: Path) -> str:
    """404.html from ``templates``, rendered in a new process with ``cache`` as reportgen's cache."""
    return subprocess.run([sys.executable, "-c", _RENDER_404, str(templates)], check=True, capture_output=True,
                          text=True, env={**os.environ, "REPORTGEN_CACHE": str(cache)}).stdout


def test_compiled_templates_are_cached_and_never_stale(tmp_path):
    """Compiled templates are kept in reportgen's cache between processes; a template changed since
    (same name, same file) renders its new text, and a damaged or unusable cache only costs time."""
    templates, cache = tmp_path / "tpl", tmp_path / "cache"
    (templates / "html").mkdir(parents=True)
    page = templates / "html" / "404.html"
    page.write_text("<p>first {{ site.title }}</p>", encoding="utf-8")
    assert _render_404(templates, cache) == "<p>first T</p>\n"
    compiled = list(cache.glob("templates/jinja2-*/*.cache"))
    assert compiled, "nothing was cached"
    page.write_text("<p>second {{ site.title }}</p>", encoding="utf-8")
    assert _render_404(templates, cache) == "<p>second T</p>\n"
    for path in cache.glob("templates/jinja2-*/*.cache"):
        path.write_bytes(path.read_bytes()[:40])  # truncated: the compiled code is unreadable
    assert _render_404(templates, cache) == "<p>second T</p>\n"
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("", encoding="utf-8")
    assert _render_404(templates, blocked) == "<p>second T</p>\n"


def test_no_thread_of_the_build_is_alive_when_rendering_forks(example_db, tmp_path, monkeypatch):
    """The build reads and writes in threads (the report tables, the transcripts' data files, the
    state file's scan); none may be alive when rendering forks its workers, which would inherit
    whatever locks it held."""
    pools = _forked_pools(monkeypatch)
    build(example_db, tmp_path / "site", search=False)
    assert pools and pools.threads == [[] for _ in pools]
