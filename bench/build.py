"""Site build benchmark, measured in one run against two references:

- a bare loop over the same transcripts: markdown-it-py renders the three answers and a
  one-line Jinja2 template makes each page (the floor of the work, single core);
- `mkdocs build` over the same pages as Markdown (the site's Markdown twin), if mkdocs is
  installed (`pip install mkdocs`, or `--mkdocs PATH` to its executable).

Also, into the same folder: incremental rebuilds after one verdict changes (a base win becomes a
tie; a fine-tuned win becomes a tie, which keeps every transcript), after a template change
(transcript.html; base.html), with the pages each one rendered; the nothing-changed and one-verdict
rebuilds again as `reportgen build` in a new process (what a user waits for: Python starting and
the imports included); and the search index on its own.
Bare loop and full build alternate, so both see the same load; the load average is printed.

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

from _common import ROOT, dataset, load, machine, median

import jinja2
from markdown_it import MarkdownIt

from reportgen import report, site, store
from reportgen.ingest import ingest
from reportgen.site import render

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


def mkdocs_build(md_root: Path, work: Path, exe: str | None) -> float | None:
    exe = exe or shutil.which("mkdocs") or str(Path(sys.executable).parent / "mkdocs")
    if not Path(exe).exists():
        return None
    docs = work / "docs"
    shutil.copytree(md_root, docs, ignore=shutil.ignore_patterns("*.html", "*.css", "*.js", "pagefind", "data",
                                                               "static", ".nojekyll", ".reportgen-*"))
    (work / "mkdocs.yml").write_text("site_name: bench\nuse_directory_urls: false\n", encoding="utf-8")
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


def timed_build(db: Path, out: Path, **kwargs) -> tuple[float, site.BuildResult]:
    t = time.perf_counter()
    result = site.build(db, out, **kwargs)
    return time.perf_counter() - t, result


def cli_build(db: Path, out: Path) -> float:
    """Seconds of `reportgen build --no-search` in a new process, from start to exit."""
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "reportgen", "--db", str(db), "build", "--out", str(out), "--no-search"],
                   check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - t


def build_memory(db: Path, out: Path) -> tuple[int, int]:
    """Peak RSS in MiB of a full build (no search) run in a fresh process, and of its largest worker
    process (this process holds every transcript's text for the bare loop: it cannot measure itself)."""
    code = ("import resource, sys; from pathlib import Path; from reportgen import site; "
            "site.build(Path(sys.argv[1]), Path(sys.argv[2]), search=False); "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out_text = subprocess.run([sys.executable, "-c", code, str(db), str(out)], check=True, capture_output=True,
                              text=True).stdout
    own, workers = (int(v) // 1024 for v in out_text.split()[-2:])
    return own, workers


def change_verdicts(db: Path, old: str, new: str, n: int) -> None:
    """Change the n-th verdict (by seq) whose winner is ``old`` into ``new``, as ingest would (summaries
    and categories refreshed)."""
    from reportgen import categories
    con = store.connect(db)
    seq, run_id = con.execute("SELECT seq, run_id FROM verdicts WHERE winner = ? AND item_key IS NOT NULL "
                              "ORDER BY seq LIMIT 1 OFFSET ?", [old, n]).fetchone()
    con.execute("UPDATE verdicts SET winner = ? WHERE seq = ? AND run_id = ?", [new, seq, run_id])
    categories.refresh(con, run_id)
    con.close()


VERDICT_CHANGES = [("base", "tie", "a base win became a tie"), ("finetuned", "tie", "a fine-tuned win became a tie")]


def after_changes(db: Path, old: str, new: str, nths: range, rebuild) -> list:
    """``rebuild()`` after each change of the n-th ``old`` verdict into ``new``, for n in ``nths``."""
    runs = []
    for n in nths:
        change_verdicts(db, old, new, n)
        runs.append(rebuild())
    return runs


class ReadsFromMemory:
    """``store.frame`` (every query a build makes through reportgen's SQL files) answered from memory while
    ``serving``: each answer is the one the same query with the same parameters gave while ``recording``.
    A rebuild recorded into a copy of the site and then timed with ``serving`` costs everything but reading
    the database: the floor of a rebuild that gathers the whole site, however fast the reads became."""

    def __init__(self):
        self.memo: dict = {}
        self.recording = self.serving = False
        self._frame = store.frame

    def __enter__(self):
        store.frame = self
        return self

    def __exit__(self, *exc):
        store.frame = self._frame

    def __call__(self, con, name: str, **params):
        key = (name, repr(sorted(params.items())))
        if self.serving and key in self.memo:
            return self.memo[key]
        result = self._frame(con, name, **params)
        if self.recording:
            self.memo[key] = result
        return result


def rebuild_without_reads(db: Path, out: Path, reads: ReadsFromMemory, copy: Path) -> float:
    """Seconds of a rebuild into ``out`` whose database reads are served from memory: recorded by the same
    rebuild into ``copy``, a copy of ``out`` made of hard links (files are replaced, never written in place)."""
    subprocess.run(["cp", "-al", str(out), str(copy)], check=True)
    reads.memo.clear()
    reads.recording, reads.serving = True, False
    recorded = site.build(db, copy, search=False)
    reads.recording, reads.serving = False, True
    try:
        took, result = timed_build(db, out, search=False)
    finally:
        reads.serving = False
    assert sorted(result.rendered) == sorted(recorded.rendered) and result.written == recorded.written, \
        "the rebuild served from memory did not do what the recorded one did"
    return took


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wins", type=int, nargs="+", default=[300], help="approximate base-win transcripts")
    ap.add_argument("--full", action="store_true", help="1k and 10k base-win transcripts")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-mkdocs", action="store_true", help="skip the mkdocs comparison (minutes at 10k)")
    ap.add_argument("--mkdocs", help="the mkdocs executable (default: on PATH or beside this Python)")
    ap.add_argument("--no-search", action="store_true", help="skip the search index (Pagefind)")
    ap.add_argument("--memory", action="store_true", help="also the peak RSS of a full build, in a process of its own")
    ap.add_argument("--reads-from-memory", action="store_true",
                    help="also the one-verdict rebuilds with every database read served from memory (ReadsFromMemory)")
    args = ap.parse_args()
    print(f"machine: {machine()}; reportgen renders with {render._workers(10**6)} worker processes "
          f"above {render.PARALLEL_FROM} pages")
    for wins in ([1000, 10000] if args.full else args.wins):
        data = dataset(int(wins / 0.35), papers=50)
        with tempfile.TemporaryDirectory() as t:
            tmp = Path(t)
            db = tmp / "b.duckdb"
            ingest(db, [data.csv, data.log], run="bench")
            with store.open_db(db, read_only=True) as con:
                rows = report.frame(con, "transcripts").to_dicts()
            bares, fulls, loads = [], [], []
            for i in range(args.repeat):  # alternate, so both see the same load
                loads.append(load())
                t0 = time.perf_counter()
                bare_loop(rows)
                bares.append(time.perf_counter() - t0)
                # A new folder each time, and nothing deleted until the end: ext4 skips the inodes of
                # files deleted in the last minute when it creates files (ialloc.c, recently_deleted),
                # which made writing a site into a folder just emptied 2-3x slower than the build.
                out = tmp / f"site{i}"
                took, result = timed_build(db, out, search=False)
                fulls.append(took)
            bare, full = median(bares), median(fulls)
            print(f"\n{len(rows):,} base-win transcripts, {result.pages:,} pages (html + md), {result.files:,} files; "
                  f"load {', '.join(loads)}")
            print(f"  largest HTML pages                       {largest_pages(out)}")
            print(f"  bare markdown-it + Jinja2 loop (1 core)  {bare:7.2f} s  (transcript pages only)")
            print(f"  reportgen build into an empty folder     {full:7.2f} s  {full / bare:5.2f}x bare  (no search)")
            if args.memory:
                own, workers = build_memory(db, tmp / "site-memory")
                print(f"  peak RSS of a full build                 {own:,} MiB, its largest worker {workers:,} MiB")
            took = median([timed_build(db, out, search=False)[0] for _ in range(args.repeat)])
            print(f"  rebuild, nothing changed                 {took:7.2f} s  {100 * took / full:5.1f} % of full "
                  f"(median of {args.repeat})")
            for old, new, what in VERDICT_CHANGES:
                runs = after_changes(db, old, new, range(args.repeat), lambda: timed_build(db, out, search=False))
                took = median([r[0] for r in runs])
                rendered = sorted(len(r[1].rendered) for r in runs)[len(runs) // 2]
                print(f"  rebuild, one verdict: {what:30s} {took:7.2f} s  {100 * took / full:5.1f} % of full, "
                      f"{rendered} page files rendered (median of {len(runs)}); load {load()}")
            if args.reads_from_memory:
                with ReadsFromMemory() as reads:
                    for old, new, what in VERDICT_CHANGES:
                        copies = iter(range(10**6))
                        runs = after_changes(db, old, new, range(2 * args.repeat, 3 * args.repeat),
                                             lambda: rebuild_without_reads(db, out, reads, tmp / f"copy-{old}-{next(copies)}"))
                        took = median(runs)
                        print(f"  the same, reads from memory: {what:30s} {took:7.2f} s  {100 * took / full:5.1f} % of full "
                              f"(median of {len(runs)}); load {load()}")
            # What a user waits for: `reportgen build` in a new process (Python starting, the imports).
            time.sleep(2.1)  # older than the two seconds after which the database's stat is trusted
            cli_build(db, out)  # the last rebuild saw a database just written: this one records it
            took = median([cli_build(db, out) for _ in range(args.repeat)])
            print(f"  `reportgen build`, nothing changed         {took:7.2f} s  {100 * took / full:5.1f} % of full "
                  f"(a new process; median of {args.repeat})")
            for old, new, what in VERDICT_CHANGES:
                runs = after_changes(db, old, new, range(args.repeat, 2 * args.repeat), lambda: cli_build(db, out))
                took = median(runs)
                print(f"  `reportgen build`, one verdict: {what:30s} {took:7.2f} s  {100 * took / full:5.1f} % of full "
                      f"(a new process; median of {len(runs)}); load {load()}")
            tpl = tmp / "tpl" / "html"
            tpl.mkdir(parents=True)
            for name, old, new in [("transcript.html", "Reference answer", "Gold answer"),
                                   ("base.html", "Skip to content", "Skip to the content")]:
                text = (ROOT / "templates" / "html" / name).read_text(encoding="utf-8")
                (tpl / name).write_text(text.replace(old, new), encoding="utf-8")
                took, r = timed_build(db, out, search=False, templates_dir=tpl.parent)
                print(f"  rebuild, {name} changed{'':{22 - len(name)}} {took:7.2f} s  {100 * took / full:5.1f} % of full, "
                      f"{len(r.rendered)} page files rendered")
            shutil.rmtree(tpl.parent)
            timed_build(db, out, search=False)
            if not args.no_search and site.pagefind_available():
                took, r = timed_build(db, out, search=True)
                print(f"  rebuild adding the search index          {took:7.2f} s  (Pagefind over every page)")
                change_verdicts(db, "base", "tie", args.repeat)
                took, r = timed_build(db, out, search=True)
                print(f"  rebuild with search, one verdict changed {took:7.2f} s  {100 * took / full:5.1f} % of full, "
                      f"{len(r.rendered)} page files rendered, Pagefind reruns; load {load()}")
            mk = None if args.no_mkdocs else mkdocs_build(out, tmp / "mk", args.mkdocs)
            if mk is not None:
                print(f"  mkdocs build of the Markdown twin        {mk:7.2f} s  reportgen is {mk / full:5.1f}x faster; "
                      f"load {load()}")
            elif not args.no_mkdocs:
                print("  mkdocs not installed: pip install mkdocs to compare")


if __name__ == "__main__":
    main()
