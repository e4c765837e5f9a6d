"""reportgen.site and `reportgen build` / `serve`: files on disk, links, determinism, incrementality,
the repository's own site/ folder."""

from __future__ import annotations

import os
import re
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import ROOT, XSS_MAP, tree
from reportgen import site as site_mod
from reportgen.demo import EXAMPLE_RUN
from reportgen.errors import ReportgenError
from reportgen.ingest import ingest

FIXTURES = Path(__file__).parent / "fixtures" / "site"
LINK = re.compile(r'(?:href|src)="([^"]*)"')
needs_pagefind = pytest.mark.skipif(not site_mod.pagefind_available(), reason="pagefind is not installed (the site extra)")
MD_LINK = re.compile(r"(?<!\\)\]\(([^)\s]+)\)")


@pytest.fixture(scope="module")
def built(tmp_path_factory, _example_db_template) -> Path:
    """The example site, built once for the read-only checks of this module."""
    out = tmp_path_factory.mktemp("built") / "site"
    site_mod.build(_example_db_template, out)
    return out


def test_build_cli(invoke, example_db, tmp_path):
    out = tmp_path / "site"
    result = invoke("--db", example_db, "build", "--out", out)
    assert result.exit_code == 0, result.output
    assert re.match(r"148 pages, \d+ files in .*: \d+ written, 0 removed, 0 unchanged", result.output)
    again = invoke("build", "--db", example_db, "--out", out)
    assert re.search(r": 0 written, 0 removed, \d+ unchanged", again.output), again.output


def test_build_cli_errors(invoke, example_db, tmp_path):
    result = invoke("--db", example_db, "build", "--out", tmp_path / "s", "--run", "nope")
    assert result.exit_code == 1 and "no run named 'nope'" in result.output and "Traceback" not in result.output
    result = invoke("--db", example_db, "build", "--out", tmp_path / "s", "--format", "pdf")
    assert result.exit_code == 1 and "--format takes html, md" in result.output
    result = invoke("--db", tmp_path / "missing.duckdb", "build", "--out", tmp_path / "s")
    assert result.exit_code == 1 and "no such database" in result.output


@needs_pagefind
def test_site_files(built):
    for rel in ["index.html", "index.md", "404.html", "search.html", ".nojekyll", "static/site.css", "static/site.js",
                "static/search.js", "data/papers.csv", "data/papers.parquet", "data/transcripts.html", "data/transcripts.md",
                "data/transcripts/part-0-of-1.csv", "data/transcripts/part-0-of-1.parquet",
                "pagefind/pagefind.js", "pagefind/pagefind-entry.json", site_mod.MANIFEST]:
        assert (built / rel).is_file(), rel
    assert len(list((built / "run" / EXAMPLE_RUN / "t").glob("*.html"))) == 53
    assert len(list((built / "run" / EXAMPLE_RUN / "t").glob("*.md"))) == 53
    assert (built / "data" / "papers.csv").read_text().startswith("run,judge,paper,is_unknown,")
    import polars as pl
    assert pl.read_parquet(built / "data" / "transcripts" / "part-0-of-1.parquet").height == 53
    listed = set((built / site_mod.MANIFEST).read_text().split())
    assert listed == set(tree(built)) - {site_mod.MANIFEST}


def test_every_relative_link_resolves(built):
    checked = 0
    for page in list(built.rglob("*.html")) + list(built.rglob("*.md")):
        text = page.read_text(encoding="utf-8")
        links = LINK.findall(text) if page.suffix == ".html" else MD_LINK.findall(text)
        for link in links:
            if link.startswith(("#", "data:", "http://", "https://")):
                continue
            assert not link.startswith("/"), f"{page}: root-absolute link {link}"
            target = (page.parent / link.split("#")[0]).resolve()
            assert target.is_file(), f"{page.relative_to(built)} links to missing {link}"
            assert built.resolve() in target.parents
            checked += 1
    assert checked > 1000


def test_pages_hold_no_machine_specific_text(built, _example_db_template):
    needles = [str(ROOT), str(_example_db_template.parent), str(built.parent)]
    for path, _ in tree(built).items():
        if path.startswith("pagefind/") or path.endswith(".parquet"):
            continue
        text = (built / path).read_text(encoding="utf-8")
        for needle in needles:
            assert needle not in text, f"{path} holds {needle}"


def test_build_is_deterministic(example_db, tmp_path):
    """Byte-identical builds, with the search index where Pagefind is installed and without it."""
    a = site_mod.build(example_db, tmp_path / "a")
    b = site_mod.build(example_db, tmp_path / "b")
    assert a.search == b.search == site_mod.pagefind_available()
    assert a.files == b.files > 140
    assert tree(tmp_path / "a") == tree(tmp_path / "b")


@needs_pagefind
def test_incremental_rebuild_rewrites_only_changed_pages(example_db, tmp_path):
    out = tmp_path / "site"
    first = site_mod.build(example_db, out)
    assert len(first.written) == first.files
    assert site_mod.build(example_db, out).written == []
    # A changed transcript template changes the transcript pages (and the search index over them) only.
    tpl = tmp_path / "tpl" / "html"
    tpl.mkdir(parents=True)
    original = (ROOT / "templates" / "html" / "transcript.html").read_text(encoding="utf-8")
    (tpl / "transcript.html").write_text(original.replace("Reference answer", "Gold answer"), encoding="utf-8")
    changed = site_mod.build(example_db, out, templates_dir=tmp_path / "tpl")
    pages = [p for p in changed.written if not p.startswith("pagefind/") and p not in (site_mod.MANIFEST, site_mod.STATE)]
    assert len(pages) == 53 and all(re.fullmatch(rf"run/{EXAMPLE_RUN}/t/\d+\.html", p) for p in pages)
    assert sorted(changed.rendered) == pages and changed.skipped == changed.pages - 53
    assert "Gold answer" in (out / pages[0]).read_text(encoding="utf-8")
    assert all(not (out / p).exists() for p in changed.removed)


def test_clean_rewrites_all_and_removes_stale(example_db, tmp_path):
    out = tmp_path / "site"
    site_mod.build(example_db, out, search=False)
    (out / "run" / "stale.html").write_text("old", encoding="utf-8")
    kept = site_mod.build(example_db, out, search=False)
    assert kept.written == [] and (out / "run" / "stale.html").exists()  # not ours: left alone
    cleaned = site_mod.build(example_db, out, search=False, clean=True)
    assert "run/stale.html" in cleaned.removed and not (out / "run" / "stale.html").exists()
    assert len(cleaned.written) == cleaned.files


def test_files_of_an_earlier_build_are_removed(example_db, tmp_path):
    out = tmp_path / "site"
    site_mod.build(example_db, out, search=False)
    assert (out / "index.md").exists()
    result = site_mod.build(example_db, out, formats=["html"], search=False)
    assert "index.md" in result.removed and not (out / "index.md").exists()
    assert not list(out.rglob("*.md"))


def test_clean_refuses_a_folder_that_is_not_a_site(example_db, tmp_path):
    (tmp_path / "precious.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(ReportgenError, match="not a reportgen site"):
        site_mod.build(example_db, tmp_path, clean=True, search=False)
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_failed_build_leaves_the_previous_site_intact(example_db, tmp_path):
    out = tmp_path / "site"
    site_mod.build(example_db, out, search=False)
    before = tree(out)
    (tmp_path / "bad" / "html").mkdir(parents=True)
    (tmp_path / "bad" / "html" / "paper.html").write_text("{% if %}", encoding="utf-8")
    with pytest.raises(ReportgenError, match="failed to render"):
        site_mod.build(example_db, out, templates_dir=tmp_path / "bad", search=False, clean=True)
    assert tree(out) == before


def test_markdown_only(example_db, tmp_path):
    result = site_mod.build(example_db, tmp_path / "md", formats=["md"])
    assert not result.search
    files = tree(tmp_path / "md")
    assert "index.md" in files and not any(p.endswith(".html") for p in files)


def test_xss_items_get_safe_file_names(tmp_path):
    db = tmp_path / "xss.duckdb"
    ingest(db, [FIXTURES / "xss-items.csv", FIXTURES / "xss-verdicts.jsonl"], run="../xss", mapping=XSS_MAP)
    out = tmp_path / "out" / "site"
    site_mod.build(db, out, search=False)
    assert not (tmp_path / "out" / "etc").exists() and not (tmp_path / "xss").exists()
    for path in tree(out):
        assert re.fullmatch(r"[A-Za-z0-9_./-]+", path) and ".." not in path, path


@needs_pagefind
def test_repository_site_is_current(_example_db_template, tmp_path):
    """site/ is the bundled example's site, built with the defaults: rebuild it and compare every byte.

    Two kinds of file carry the version of the tool that wrote them: Parquet files (polars puts its
    version in them) and Pagefind's bundle (recorded in pagefind/reportgen-input.sha256). Where this
    machine has another version than the one that built site/, those files are compared by content
    (the tables, the pages the index was built from) instead of by bytes."""
    import polars as pl
    import pyarrow.parquet as pq
    repo_site = ROOT / "site"
    fresh = tmp_path / "fresh"
    site_mod.build(_example_db_template, fresh)
    hint = "site/ is stale: rebuild it with 'make site'"
    stamp_repo = (repo_site / site_mod.SEARCH_STAMP).read_text(encoding="utf-8").splitlines()
    stamp_fresh = (fresh / site_mod.SEARCH_STAMP).read_text(encoding="utf-8").splitlines()
    assert stamp_repo[0] == stamp_fresh[0], hint  # the index was built from the same pages
    same_pagefind = stamp_repo == stamp_fresh
    ours, theirs = tree(fresh, skip_search=not same_pagefind), tree(repo_site, skip_search=not same_pagefind)
    assert sorted(ours) == sorted(theirs), hint
    for rel in ours:
        if ours[rel] == theirs[rel]:
            continue
        if rel.endswith(".parquet") and (pq.ParquetFile(fresh / rel).metadata.created_by
                                         != pq.ParquetFile(repo_site / rel).metadata.created_by):
            assert pl.read_parquet(fresh / rel).equals(pl.read_parquet(repo_site / rel)), f"{rel}: {hint}"
            continue
        raise AssertionError(f"{rel} differs: {hint}")
    if same_pagefind and all(ours[r] == theirs[r] for r in ours):
        import shutil
        copy = tmp_path / "copy"
        shutil.copytree(repo_site, copy)
        # A checkout gives the files arbitrary modification times (git writes .reportgen-pages before
        # most pages), and a file newer than the state file counts as edited by hand: give the state
        # file the time a build leaves it with (after every file), so that only its keys are tested.
        os.utime(copy / site_mod.STATE)
        result = site_mod.build(_example_db_template, copy)
        assert result.written == [] and result.removed == []


@pytest.fixture
def server(built):
    srv = site_mod.make_server(built, port=0)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/"
    srv.shutdown()
    srv.server_close()


@needs_pagefind
def test_serve(server, built):
    assert server.startswith("http://127.0.0.1:")
    with urllib.request.urlopen(server) as r:
        assert r.status == 200 and r.read() == (built / "index.html").read_bytes()
    wasm = next(p for p in built.glob("pagefind/wasm.*.pagefind"))
    with urllib.request.urlopen(server + f"run/{EXAMPLE_RUN}/t/85.html") as r:
        assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    with urllib.request.urlopen(server + "pagefind/" + wasm.name) as r:
        assert r.read() == wasm.read_bytes()
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(server + "no/such/page.html")
    assert err.value.code == 404 and b"Page not found" in err.value.read()


def test_serve_needs_a_built_site(tmp_path):
    with pytest.raises(ReportgenError, match="build the site first"):
        site_mod.make_server(tmp_path / "missing", port=0)


def test_run_option_builds_one_run_of_several(invoke, example_db, tmp_path):
    from reportgen.demo import example_files
    ingest(example_db, example_files(), run="again")
    out = tmp_path / "all"
    assert invoke("--db", example_db, "build", "--out", out, "--format", "html").exit_code == 0
    assert "<h1>Runs</h1>" in (out / "index.html").read_text(encoding="utf-8")
    assert (out / "run" / "again" / "index.html").is_file() and (out / "compare").is_dir()
    one = tmp_path / "one"
    assert invoke("--db", example_db, "build", "--out", one, "--run", "again").exit_code == 0
    index = (one / "index.html").read_text(encoding="utf-8")
    assert "<h1>again</h1>" in index and f"run/{EXAMPLE_RUN}/" not in index
    assert not (one / "compare").exists() and not (one / "run" / EXAMPLE_RUN).exists()
    assert "\n" + EXAMPLE_RUN + "," not in (one / "data" / "overall.csv").read_text(encoding="utf-8")


def test_a_run_without_verdicts(tmp_path):
    from reportgen.demo import example_files
    db = tmp_path / "items.duckdb"
    ingest(db, [example_files()[0]], run="items-only")
    out = tmp_path / "site"
    site_mod.build(db, out, search=False)
    assert "No verdicts yet" in (out / "index.html").read_text(encoding="utf-8")
    assert "No verdicts yet" in (out / "index.md").read_text(encoding="utf-8")


def test_an_empty_database(tmp_path):
    from reportgen import store
    db = tmp_path / "empty.duckdb"
    with store.open_db(db):
        pass
    with pytest.raises(ReportgenError, match="holds no runs yet"):
        site_mod.build(db, tmp_path / "site")
    assert not (tmp_path / "site").exists()
