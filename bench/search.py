"""Search benchmark: Pagefind's share of a full build, reportgen's indexing against Pagefind run
bare over the same built site (the baseline, in the same run), and the search page in Chromium
served from 127.0.0.1: time to the first results and fragment requests per page of results.

    python bench/search.py                 # ~1k base-win transcripts
    python bench/search.py --full          # 1k and 10k
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import dataset, load, machine, median, timed

from reportgen import site
from reportgen.ingest import ingest

CHROMIUM = "/usr/bin/chromium"
FRAGMENT = re.compile(r"/pagefind/(shard-\d+/)?fragment/")  # a result's fragment, in the index or one of its shards


def bare_pagefind(out: Path, dest: Path) -> None:
    """Pagefind over the built site as it is (every HTML page; it indexes the marked ones)."""
    subprocess.run([sys.executable, "-m", "pagefind", "--site", str(out), "--output-path", str(dest), "--silent",
                    "--force-language", "en"], check=True, capture_output=True)


def browser_figures(out: Path, word: str, repeat: int) -> dict[str, float] | None:
    """Cold (empty cache, new context) times in Chromium: the search page ready (index entry and
    filters loaded), first results after typing a word (200 ms of it is the typing debounce), and
    first results of a link with the word in it; fragment requests and bytes per page of results."""
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        return None
    if not Path(CHROMIUM).exists():
        return None
    proc = subprocess.Popen([sys.executable, "-m", "reportgen", "serve", str(out), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        url = re.search(r"http://\S+/", proc.stdout.readline().decode()).group(0)
        ready, typed, linked, requests, pages2, kb, fragment_kb = [], [], [], [], [], [], []
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
            for _ in range(repeat):
                ctx = b.new_context()
                page = ctx.new_page()
                asked: list[str] = []  # every request
                got: list[tuple[str, int]] = []  # every response, with its size (the files are served as they are)
                page.on("request", lambda r: asked.append(r.url))
                page.on("response", lambda r: got.append((r.url, int(r.headers.get("content-length", 0)))))
                t = time.perf_counter()
                page.goto(url + "search.html")
                expect(page.locator("#search-status")).to_contain_text("Type words", timeout=120000)
                ready.append(time.perf_counter() - t)
                n0, g0 = len(asked), len(got)
                t = time.perf_counter()
                page.fill("#q", word)
                page.locator("#search-results li").first.wait_for(timeout=120000)
                typed.append(time.perf_counter() - t)
                page.wait_for_load_state("networkidle")
                requests.append(sum(bool(FRAGMENT.search(u)) for u in asked[n0:]))
                kb.append(sum(size for _, size in got[g0:]) / 1024)
                fragment_kb.append(sum(size for u, size in got[g0:] if FRAGMENT.search(u)) / 1024)
                n1 = len(asked)
                page.click("#search-next")
                expect(page.locator("#search-status")).to_contain_text("showing 21", timeout=120000)
                page.wait_for_load_state("networkidle")
                pages2.append(sum(bool(FRAGMENT.search(u)) for u in asked[n1:]))
                found = page.inner_text("#search-status")
                ctx.close()
                ctx = b.new_context()
                page = ctx.new_page()
                t = time.perf_counter()
                page.goto(url + f"search.html?q={word}")
                page.locator("#search-results li").first.wait_for(timeout=120000)
                linked.append(time.perf_counter() - t)
                ctx.close()
            b.close()
        return {"ready": median(ready), "typed": median(typed), "linked": median(linked),
                "fragments": max(requests), "fragments_next": max(pages2), "kb": median(kb),
                "fragment_kb": median(fragment_kb), "found": found}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def browser(out: Path, args) -> None:
    for word in args.words:
        fig = browser_figures(out, word, args.repeat)
        if fig is None:
            print("  browser: playwright or Debian chromium missing")
            return
        print(f"  browser, cold cache, median of {args.repeat} (load {load()}): '{word}': {fig['found']}")
        print(f"    search page ready (entry, filters)      {fig['ready']:7.2f} s")
        print(f"    first results after typing the word     {fig['typed']:7.2f} s  (200 ms of it the typing debounce)")
        print(f"    first results of search.html?q={word:<9}{fig['linked']:7.2f} s  (from navigation)")
        print(f"    fragment requests, first page / next    {fig['fragments']} / {fig['fragments_next']}")
        print(f"    fetched for the first page              {fig['kb']:7.0f} KiB  ({fig['fragment_kb']:.0f} KiB of it "
              "the 20 fragments, the rest the index chunks)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wins", type=int, nargs="+", default=[1000], help="approximate base-win transcripts")
    ap.add_argument("--full", action="store_true", help="1k and 10k base-win transcripts")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--words", nargs="+", default=["model", "multilingual"],
                    help="words searched in the browser (synthetic answers say 'model' on every page; "
                         "'multilingual' is in one paper title in ten)")
    ap.add_argument("--site", type=Path, help="only the browser figures, on this built site")
    ap.add_argument("--no-browser", action="store_true")
    args = ap.parse_args()
    print(f"machine: {machine()}")
    if args.site:
        browser(args.site, args)
        return
    for wins in ([1000, 10000] if args.full else args.wins):
        data = dataset(int(wins / 0.35), papers=50)
        with tempfile.TemporaryDirectory() as t:
            tmp = Path(t)
            db = tmp / "b.duckdb"
            ingest(db, [data.csv, data.log], run="bench")
            out = tmp / "site"
            loads = [load()]
            # alternate: the full build with its index, then Pagefind bare over what it built
            full_s, bare_s = [], []
            for i in range(args.repeat):
                full_s += timed(lambda: site.build(db, out, clean=True), 1)
                bare_s += timed(lambda: bare_pagefind(out, tmp / f"bare-{i}"), 1)
                loads.append(load())
            files, pages, _ = site.collect(db, search=False)
            index_s = median(timed(lambda: site.search_index(files), args.repeat))
            loads.append(load())
            transcripts = len(site.indexed_pages(files))
            full, bare = median(full_s), median(bare_s)
            print(f"\n{transcripts:,} base-win transcripts, {pages:,} pages (html + md); "
                  f"load {min(loads, key=float)}–{max(loads, key=float)}")
            print(f"  full build with search (--clean)          {full:7.2f} s")
            print(f"  search index (reportgen.site.search)      {index_s:7.2f} s  "
                  f"= {100 * index_s / full:4.1f} % of the build")
            print(f"  bare: pagefind over the built site        {bare:7.2f} s  "
                  f"reportgen's index {index_s / bare:4.2f}x bare")
            if args.no_browser:
                continue
            browser(out, args)


if __name__ == "__main__":
    main()
