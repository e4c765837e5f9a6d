"""Site build benchmark, measured in one run against two references:

- a bare loop over the same transcripts: markdown-it-py renders the three answers and a
  one-line Jinja2 template makes each page (the floor of the work, single core);
- `mkdocs build` over the same pages as Markdown (the site's Markdown twin), if mkdocs is
  installed (`pip install mkdocs`).

Also: an incremental rebuild after one verdict changes, and the search index on its own.

    python bench/build.py                  # ~300 base-win transcripts (under a minute)
    python bench/build.py --full           # 1k and 10k
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import dataset, machine, median, timed

import jinja2
from markdown_it import MarkdownIt

from reportgen import report, site, store
from reportgen.ingest import ingest

BARE_PAGE = jinja2.Environment(autoescape=True).from_string(
    "<!doctype html><title>{{ q }}</title><h1>{{ q }}</h1><p>{{ paper }}</p>"
    "<section>{{ ref }}</section><section>{{ base }}</section><section>{{ ft }}</section>")


def bare_loop(rows: list[dict]) -> int:
    md = MarkdownIt("js-default")
    pages = 0
    for r in rows:
        BARE_PAGE.render(q=r["question"], paper=r["paper"], ref=jinja2.utils.markupsafe.Markup(md.render(r["reference_answer"])),
                         base=jinja2.utils.markupsafe.Markup(md.render(r["base_answer"])),
                         ft=jinja2.utils.markupsafe.Markup(md.render(r["finetuned_answer"])))
        pages += 1
    return pages


def mkdocs_build(md_root: Path, work: Path) -> float | None:
    if shutil.which("mkdocs") is None and not (Path(sys.executable).parent / "mkdocs").exists():
        return None
    docs = work / "docs"
    shutil.copytree(md_root, docs, ignore=shutil.ignore_patterns("*.html", "*.css", "*.js", "pagefind", "data",
                                                               "static", ".nojekyll", ".reportgen-files"))
    (work / "mkdocs.yml").write_text("site_name: bench\nuse_directory_urls: false\n", encoding="utf-8")
    exe = shutil.which("mkdocs") or str(Path(sys.executable).parent / "mkdocs")
    t = time.perf_counter()
    subprocess.run([exe, "build", "-q", "-f", str(work / "mkdocs.yml"), "-d", str(work / "out")], check=True,
                   capture_output=True)
    return time.perf_counter() - t


def largest_pages(out: Path) -> str:
    """The largest HTML page, the largest that is not a transcript, and the run's page, in KB."""
    sizes = sorted(((p.stat().st_size, p.relative_to(out).as_posix()) for p in out.rglob("*.html")), reverse=True)
    lists = [(b, p) for b, p in sizes if "/t/" not in p]
    index = (out / "index.html").stat().st_size
    return (f"{sizes[0][0] / 1000:.0f} KB ({sizes[0][1]}); not a transcript: {lists[0][0] / 1000:.0f} KB "
            f"({lists[0][1]}); index.html {index / 1000:.0f} KB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wins", type=int, nargs="+", default=[300], help="approximate base-win transcripts")
    ap.add_argument("--full", action="store_true", help="1k and 10k base-win transcripts")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-mkdocs", action="store_true", help="skip the mkdocs comparison (minutes at 10k)")
    args = ap.parse_args()
    print(f"machine: {machine()}")
    for wins in ([1000, 10000] if args.full else args.wins):
        data = dataset(int(wins / 0.35), papers=50)
        with tempfile.TemporaryDirectory() as t:
            tmp = Path(t)
            db = tmp / "b.duckdb"
            ingest(db, [data.csv, data.log], run="bench")
            with store.open_db(db, read_only=True) as con:
                rows = report.frame(con, "transcripts").to_dicts()
            bare = median(timed(lambda: bare_loop(rows), args.repeat))
            out = tmp / "site"
            full = median(timed(lambda: site.build(db, out, clean=True, search=False), args.repeat))
            result = site.build(db, out, search=False)
            t0 = time.perf_counter()
            files, _, _ = site.collect(db, search=False)
            collect_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            site.search_index(files)
            search_s = time.perf_counter() - t0
            # incremental: one verdict changes, then rebuild into the same folder
            con = store.connect(db)
            con.execute("UPDATE verdicts SET winner = 'tie' WHERE seq = (SELECT min(seq) FROM verdicts WHERE winner = 'base')")
            con.close()
            t0 = time.perf_counter()
            inc = site.build(db, out, search=False)
            inc_s = time.perf_counter() - t0
            mk = None if args.no_mkdocs else mkdocs_build(out, tmp / "mk")
            print(f"\n{len(rows):,} base-win transcripts, {result.pages:,} pages (html + md), {result.files:,} files")
            print(f"  largest HTML pages                       {largest_pages(out)}")
            print(f"  bare markdown-it + Jinja2 loop (1 core)  {bare:7.2f} s  (transcript pages only)")
            print(f"  reportgen build --clean, no search       {full:7.2f} s  {full / bare:5.2f}x bare")
            print(f"    of which gathering + rendering          {collect_s:7.2f} s")
            print(f"  search index (pagefind) on its own       {search_s:7.2f} s")
            print(f"  rebuild after one verdict changed        {inc_s:7.2f} s  {100 * inc_s / full:5.1f} % of full, "
                  f"{len(inc.written)} files rewritten")
            if mk is not None:
                print(f"  mkdocs build of the Markdown twin        {mk:7.2f} s  reportgen is {mk / full:5.1f}x faster")
            elif not args.no_mkdocs:
                print("  mkdocs not installed: pip install mkdocs to compare")


if __name__ == "__main__":
    main()
