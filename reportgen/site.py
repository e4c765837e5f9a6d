"""``reportgen build`` and ``reportgen serve``: the static site.

Staged like mkdocs: gather every number from the database first (``gather``), render
every page (``reportgen.render``), add static files, data files and the Pagefind search
index, and only then write. Writing is incremental (a file is written only when its
bytes changed) and safe (everything is produced in memory and in a scratch folder, so a
failure leaves the previous site as it was). Pages hold no timestamps or machine paths:
two builds of the same database are byte-identical."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from reportgen import report, sqlfiles, store
from reportgen import reliability as reliability_mod
from reportgen.errors import ReportgenError, UsageError
from reportgen.output import SITE_FORMATS, render
from reportgen.render import render_site
from reportgen.resources import resource_dir

MANIFEST = ".reportgen-files"
# The order the pages list the data files in, headline numbers first. Which reports there are comes
# from sql/report/ (report.names()); one not named here is listed after these, by name.
LISTING_ORDER = ("overall", "papers", "categories", "paper_categories", "transcripts", "reliability",
                 "judge_agreement", "judge_disagreements")
_SAFE_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
# Names Windows will not create as files, whatever the extension.
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


class SiteError(ReportgenError):
    """The site cannot be built or written."""


# ---------------------------------------------------------------------------- names


def slug(text: str, *, always_hash: bool = False) -> str:
    """A file name from any text: lowercase letters, digits, ``-`` and ``_`` only (so it cannot
    leave its folder), the same for the same text; a short hash is added when the text had to
    be changed, so two different texts never share a slug."""
    text = str(text)
    if not always_hash and _SAFE_KEY.match(text) and text not in _RESERVED:
        return text
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:48].strip("-")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
    return f"{base}-{digest}" if base else digest


# --------------------------------------------------------------------------- gather


def _rows(df: pl.DataFrame) -> list[dict]:
    return df.to_dicts()


def gather(con: duckdb.DuckDBPyConnection, run: str | None = None, *, search: bool = True) -> dict:
    """Everything the pages show, as plain data: ``{"runs": [...], "pages": [...], ...}``."""
    report.check_run(con, run)
    run_list = _rows(report.frame(con, "run_list", run))
    if not run_list:
        raise SiteError("the database holds no runs yet; ingest a judge log or verdict JSONL first")
    overall = report.frame(con, "overall", run)
    papers = report.frame(con, "papers", run)
    cats = report.frame(con, "categories", run)
    transcripts = report.frame(con, "transcripts", run)
    reliability = report.frame(con, "reliability", run)
    agreement = report.frame(con, "judge_agreement", run)
    disagreements = report.frame(con, "judge_disagreements", run)
    sources = store.frame(con, "site/sources")
    all_verdicts: dict[tuple[str, str], list[dict]] = {}
    for v in _rows(store.frame(con, "site/item_verdicts")):
        all_verdicts.setdefault((v["run"], v["item_key"]), []).append(v)
    descriptions = {f.short_name: f.description for f in sqlfiles.group("categories")}
    single = len(run_list) == 1

    runs = []
    for r in run_list:
        name = r["run"]
        rslug = slug(name)
        prefix = f"run/{rslug}/"
        home = "index" if single else f"{prefix}index"
        paper_slugs: dict[str, str] = {}

        def paper_page(paper: str, _prefix=prefix, _slugs=paper_slugs) -> str:
            if paper not in _slugs:
                _slugs[paper] = f"{_prefix}paper/{slug(paper, always_hash=True)}"
            return _slugs[paper]

        # One transcript page per item the base model won (under any judge).
        items: dict[str, dict] = {}
        for t in _rows(transcripts.filter(pl.col("run") == name)):
            item = items.get(t["item_key"])
            if item is None:
                item = items[t["item_key"]] = {
                    "key": t["item_key"], "page": f"{prefix}t/{slug(t['item_key'])}", "paper": t["paper"],
                    "paper_page": paper_page(t["paper"]), "question": t["question"],
                    "reference": t["reference_answer"], "base": t["base_answer"],
                    "finetuned": t["finetuned_answer"], "position": t["position"], "seq": t["seq"],
                    "categories": [], "category_hits": [],
                }
            # Hits are computed from the item's text, so every judge's base win carries the same ones.
            for c, e in zip(t["categories"], t["evidence"]):
                if c not in item["categories"]:
                    item["categories"].append(c)
                    item["category_hits"].append(
                        {"name": c, "evidence": e, "page": f"{prefix}category/{slug(c)}"})
        ordered = sorted(items.values(), key=lambda i: (i["paper"], i["position"] is None, i["position"] or 0,
                                                        i["seq"], i["key"]))
        for item in ordered:
            item["categories"].sort()
            item["all_verdicts"] = all_verdicts.get((name, item["key"]), [])
            item["category_hits"].sort(key=lambda h: h["name"])

        by_paper: dict[str, list[dict]] = {}
        for item in ordered:
            by_paper.setdefault(item["paper"], []).append(item)
        for group in by_paper.values():
            for i, item in enumerate(group):
                item["prev"] = group[i - 1] if i > 0 else None
                item["next"] = group[i + 1] if i + 1 < len(group) else None
                item["index_in_paper"] = i + 1
                item["count_in_paper"] = len(group)

        judges = []
        for o in _rows(overall.filter(pl.col("run") == name)):
            p_rows = _rows(papers.filter((pl.col("run") == name) & (pl.col("judge") == o["judge"])))
            for p in p_rows:
                p["page"] = None if p["is_unknown"] else paper_page(p["paper"])
            notes = [p["rate_note"] for p in p_rows if not p["is_unknown"] and p["rate_note"]]
            c_rows = _rows(cats.filter((pl.col("run") == name) & (pl.col("judge") == o["judge"])))
            for c in c_rows:
                c["page"] = f"{prefix}category/{slug(c['category'])}"
                c["description"] = descriptions.get(c["category"], "")
            judges.append({"judge": o["judge"], "overall": o, "papers": p_rows, "rate_note": notes[0] if notes else None,
                           "categories": c_rows,
                           "reliability": _rows(reliability.filter((pl.col("run") == name)
                                                                   & (pl.col("judge") == o["judge"])))})

        paper_list = []
        for paper in sorted(set(paper_slugs) | set(by_paper)):
            rows = [{"judge": j["judge"], **p} for j in judges for p in j["papers"] if p["paper"] == paper]
            paper_list.append({"paper": paper, "page": paper_page(paper), "transcripts": by_paper.get(paper, []),
                               "rows": rows})
        category_names = sorted({c for item in ordered for c in item["categories"]}
                                | {c["category"] for j in judges for c in j["categories"]})
        category_list = []
        for c in category_names:
            hits = [{"judge": j["judge"], **row} for j in judges for row in j["categories"] if row["category"] == c]
            category_list.append({
                "name": c, "page": f"{prefix}category/{slug(c)}", "description": descriptions.get(c, ""),
                "hits": hits, "transcripts": [i for i in ordered if c in i["categories"]],
            })
        pages_by_key = {i["key"]: i["page"] for i in ordered}
        agreements = []
        for a in _rows(agreement.filter(pl.col("run") == name)):
            rows = _rows(disagreements.filter((pl.col("run") == name) & (pl.col("judge_a") == a["judge_a"])
                                              & (pl.col("judge_b") == a["judge_b"])))
            for row in rows:
                row["page"] = pages_by_key.get(row["item_key"])
            agreements.append({**a, "disagreements": rows})
        runs.append({
            **r, "name": name, "slug": rslug, "home": home, "judge_names": r["judges"], "judges": judges,
            "transcripts": ordered, "papers": paper_list, "categories": category_list, "agreements": agreements,
            "sources": _rows(sources.filter(pl.col("run") == name)),
        })

    comparisons = []
    for i, a in enumerate(runs):
        for b in runs[i + 1:]:
            rows = _rows(store.frame(con, "site/compare", run_a=a["name"], run_b=b["name"]))
            pages_a = {t["key"]: t["page"] for t in a["transcripts"]}
            pages_b = {t["key"]: t["page"] for t in b["transcripts"]}
            for row in rows:
                row["page_a"], row["page_b"] = pages_a.get(row["item_key"]), pages_b.get(row["item_key"])
            counts: dict[str, int] = {}
            for row in rows:
                counts[row["change"]] = counts.get(row["change"], 0) + 1
            judge_a = rows[0]["judge_a"] if rows else None
            judge_b = rows[0]["judge_b"] if rows else None
            unknown_a = sum(j["overall"]["source_unknown"] for j in a["judges"] if j["judge"] == judge_a)
            unknown_b = sum(j["overall"]["source_unknown"] for j in b["judges"] if j["judge"] == judge_b)
            comparisons.append({
                "a": a, "b": b, "rows": rows, "counts": sorted(counts.items()),
                "unknown_a": unknown_a, "unknown_b": unknown_b,
                "page": f"compare/{a['slug']}--{b['slug']}",
                "judge_a": judge_a, "judge_b": judge_b,
            })

    site = {
        "title": "reportgen: " + (runs[0]["name"] if single else f"{len(runs)} runs"),
        "single": single, "runs": runs, "comparisons": comparisons, "search": search,
        "sql": {f.short_name: f.text for f in sqlfiles.group("report")}
               | {f.name: f.text for f in sqlfiles.group("site")},
        "data": data_tables(),
        "reliability_definitions": reliability_mod.DEFINITIONS,
    }
    site["pages"] = pages(site)
    return site


def pages(site: dict) -> list[tuple[str, str, dict]]:
    """(path without extension, template, context) for every page."""
    out: list[tuple[str, str, dict]] = []
    if site["single"]:
        out.append(("index", "run", {"run": site["runs"][0]}))
    else:
        out.append(("index", "runs", {}))
    for run in site["runs"]:
        if not site["single"]:
            out.append((run["home"], "run", {"run": run}))
        for t in run["transcripts"]:
            out.append((t["page"], "transcript", {"run": run, "t": t}))
        for p in run["papers"]:
            out.append((p["page"], "paper", {"run": run, "paper": p}))
        for c in run["categories"]:
            out.append((c["page"], "category", {"run": run, "category": c}))
    for c in site["comparisons"]:
        out.append((c["page"], "compare", {"cmp": c}))
    out.append(("search", "search", {"html_only": True}))
    out.append(("404", "404", {"html_only": True}))
    return out


# ----------------------------------------------------------------------- data files


def _csv(df: pl.DataFrame) -> bytes:
    return render(df, "csv").encode("utf-8")  # list cells joined with "; "


def _parquet(df: pl.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.write_parquet(buf, compression="zstd", statistics=False)
    return buf.getvalue()


def _data_reports() -> list[str]:
    published = [n for n in report.names() if n != "run_list"]  # published as "runs"
    rank = {name: i for i, name in enumerate(LISTING_ORDER)}
    return sorted(published, key=lambda n: (rank.get(n, len(rank)), n))


def data_tables() -> list[str]:
    """The name of every data file, in the order the pages list them."""
    return [*_data_reports(), "runs", "sources"]


def data_files(con: duckdb.DuckDBPyConnection, run: str | None) -> dict[str, bytes]:
    frames = {name: report.frame(con, name, run) for name in _data_reports()}
    frames["runs"] = report.frame(con, "run_list", run).drop("sources")  # its sources hold machine paths
    sources = store.frame(con, "site/sources")
    frames["sources"] = sources if run is None else sources.filter(pl.col("run") == run)
    out: dict[str, bytes] = {}
    for name, df in frames.items():
        out[f"data/{name}.csv"] = _csv(df)
        out[f"data/{name}.parquet"] = _parquet(df)
    return out


def search_data(site: dict) -> bytes:
    """``search-data.js``: every transcript page with its title, paper and categories, for the search
    page's paper and category filters. A classic script, so the filters also work from ``file://``."""
    pages = [{"url": t["page"] + ".html", "title": t["question"], "paper": t["paper"], "run": run["name"],
              "categories": t["categories"]}
             for run in site["runs"] for t in run["transcripts"]]
    text = json.dumps(pages, ensure_ascii=True, sort_keys=True, separators=(",", ":"))
    return f"window.REPORTGEN_PAGES = {text};\n".encode("ascii")


def static_files(templates_dir: Path | None) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for base in [resource_dir("templates") / "static"] + ([templates_dir / "static"] if templates_dir else []):
        if base.is_dir():
            for path in sorted(base.rglob("*")):
                if path.is_file():
                    out["static/" + path.relative_to(base).as_posix()] = path.read_bytes()
    return out


# --------------------------------------------------------------------------- search


def pagefind_available() -> bool:
    try:
        import pagefind_bin  # noqa: F401
    except ImportError:
        return False
    return True


SEARCH_STAMP = "pagefind/reportgen-input.sha256"
# Pagefind's ready-made UIs: the site has its own search page (they would also need inline styles).
_UNUSED_BUNDLE = re.compile(r"^pagefind-(component-ui|modular-ui|ui|highlight)\.(js|css)$")


def html_digest(files: dict[str, bytes]) -> str:
    """SHA-256 over every HTML page (path and bytes): what the search index is built from."""
    h = hashlib.sha256()
    for rel in sorted(p for p in files if p.endswith(".html")):
        h.update(rel.encode("utf-8") + b"\0" + hashlib.sha256(files[rel]).digest())
    return h.hexdigest()


def pagefind_version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("pagefind_bin")
    except PackageNotFoundError:
        return "unknown"


def _stamp(digest: str) -> bytes:
    """What the search bundle was built from: the pages' digest and the Pagefind version."""
    return f"{digest}\npagefind {pagefind_version()}\n".encode("ascii")


def _previous_index(out: Path | None, digest: str) -> dict[str, bytes] | None:
    """The search bundle of the site already in ``out`` when it was built from the same pages.

    Re-running Pagefind over the same pages gives the same bytes, but takes a while: an unchanged
    site keeps its index (a new Pagefind version rebuilds it)."""
    if out is None or not (out / SEARCH_STAMP).is_file() or not (out / MANIFEST).is_file():
        return None
    if (out / SEARCH_STAMP).read_bytes() != _stamp(digest):
        return None
    listed = [line for line in (out / MANIFEST).read_text(encoding="utf-8").splitlines()
              if line.startswith("pagefind/")]
    if not all((out / rel).is_file() for rel in listed):
        return None
    return {rel: (out / rel).read_bytes() for rel in listed}


def search_index(files: dict[str, bytes], previous: Path | None = None) -> dict[str, bytes]:
    """Run Pagefind over the HTML pages in a scratch folder; return its bundle as ``pagefind/…`` files
    (or the bundle already in ``previous`` when the pages are the same)."""
    digest = html_digest(files)
    kept = _previous_index(previous, digest)
    if kept is not None:
        return kept
    with tempfile.TemporaryDirectory(prefix="reportgen-pagefind-") as tmp:
        root = Path(tmp) / "site"
        for rel, data in files.items():
            if rel.endswith(".html"):
                path = root / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
        cmd = [sys.executable, "-m", "pagefind", "--site", str(root), "--output-subdir", "pagefind", "--silent",
               "--force-language", "en"]
        proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PAGEFIND_SOURCE": str(root)})
        if proc.returncode != 0:
            message = (proc.stderr or proc.stdout).strip().splitlines()
            raise SiteError(f"Pagefind failed to index the site ({message[-1] if message else proc.returncode}); "
                            "install it with pip install 'reportgen[site]'")
        out = {}
        for path in sorted((root / "pagefind").rglob("*")):
            if path.is_file() and not _UNUSED_BUNDLE.match(path.name):
                out["pagefind/" + path.relative_to(root / "pagefind").as_posix()] = path.read_bytes()
        out[SEARCH_STAMP] = _stamp(digest)
        return out


# ---------------------------------------------------------------------------- build


@dataclass
class BuildResult:
    out: Path
    files: int = 0
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    pages: int = 0
    search: bool = False


def collect(db: Path, *, run: str | None = None, formats=SITE_FORMATS, templates_dir: Path | None = None,
            search: bool | None = None, previous: Path | None = None) -> tuple[dict[str, bytes], int, bool]:
    """Every file of the site as ``{relative path: bytes}`` (no writing)."""
    formats = list(formats)
    if not formats or any(f not in SITE_FORMATS for f in formats):
        raise UsageError(f"--format takes {', '.join(SITE_FORMATS)} or {','.join(SITE_FORMATS)}, "
                         f"not {','.join(formats)!r}")
    if templates_dir is not None and not templates_dir.is_dir():
        raise UsageError("--templates must be a folder of templates (html/, md/, static/)", path=templates_dir)
    if search is None:
        search = "html" in formats and pagefind_available()
    with store.open_db(db, read_only=True) as con:
        site = gather(con, run, search=search)
        data = data_files(con, run)
    rendered = render_site(site, formats, templates_dir)
    files: dict[str, bytes] = {path: text.encode("utf-8") for path, text in rendered.items()}
    pages_count = len(files)
    files.update(data)
    if "html" in formats:
        files.update(static_files(templates_dir))
        files["search-data.js"] = search_data(site)
        files[".nojekyll"] = b""
    if search:
        files.update(search_index(files, previous))
    files[MANIFEST] = ("".join(p + "\n" for p in sorted(files))).encode("utf-8")
    return files, pages_count, search


def _inside(root: Path, rel: str) -> Path:
    path = (root / rel).resolve()
    if root.resolve() not in path.parents:
        raise SiteError(f"refusing to write {rel!r} outside the output folder", path=root)
    return path


def write(files: dict[str, bytes], out: Path, *, clean: bool = False) -> tuple[list[str], list[str]]:
    """Write ``files`` under ``out``: only files whose bytes changed (all with ``clean``); remove the
    files an earlier build wrote that this one no longer has (with ``clean``: every other file)."""
    manifest = out / MANIFEST
    if out.exists() and not out.is_dir():
        raise SiteError("is a file; --out needs a folder", path=out)
    existing = [p for p in out.rglob("*") if STAGING not in p.relative_to(out).parts] if out.is_dir() else []
    if clean and existing and not manifest.is_file():
        raise SiteError(f"is not empty and holds no {MANIFEST}, so it is not a reportgen site; --clean would "
                        "delete it: choose another --out or empty it yourself", path=out)
    previous: set[str] = set()
    if manifest.is_file():
        previous = {line for line in manifest.read_text(encoding="utf-8").splitlines() if line}
    stale = set()
    if clean:
        stale = {p.relative_to(out).as_posix() for p in existing if p.is_file() or p.is_symlink()} - set(files)
    else:
        stale = previous - set(files)
    try:
        return _write(files, out, clean=clean, stale=stale)
    except OSError as exc:
        raise SiteError(f"cannot be written ({exc.strerror}: {exc.filename}); pick another --out or fix its "
                        "permissions", path=out) from None


STAGING = ".reportgen-staging"


def _discard(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def _write(files: dict[str, bytes], out: Path, *, clean: bool, stale: set[str]) -> tuple[list[str], list[str]]:
    # Changed files go to a staging folder first; only when every one of them is written are
    # they renamed into place (renames need no new space). A full disk or an unwritable file
    # while staging leaves the previous site exactly as it was.
    staging = out / STAGING
    _discard(staging)
    written: list[str] = []
    try:
        for rel in sorted(files):
            path = _inside(out, rel)
            data = files[rel]
            if not clean and path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data:
                continue
            staged = staging / rel
            staged.parent.mkdir(parents=True, exist_ok=True)
            staged.write_bytes(data)
            written.append(rel)
    except BaseException:
        _discard(staging)
        raise
    # Swap in, the manifest last: an interrupted swap is finished by the next build.
    for rel in sorted(written, key=lambda p: (p == MANIFEST, p)):
        path = _inside(out, rel)
        path.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging / rel, path)
    _discard(staging)
    removed = []
    for rel in sorted(stale):
        path = out / rel
        if path.is_file() or path.is_symlink():
            path.unlink()
            removed.append(rel)
    for folder in sorted((p for p in out.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()
    return written, removed


def build(db: Path, out: Path, *, run: str | None = None, formats=SITE_FORMATS, clean: bool = False,
          templates_dir: Path | None = None, search: bool | None = None) -> BuildResult:
    """Build the site of ``db`` into ``out``; return what was written."""
    files, pages_count, searched = collect(db, run=run, formats=formats, templates_dir=templates_dir, search=search,
                                          previous=None if clean else out)
    written, removed = write(files, out, clean=clean)
    return BuildResult(out=out, files=len(files), written=written, removed=removed, pages=pages_count,
                       search=searched)


# ---------------------------------------------------------------------------- serve


def make_server(directory: Path, host: str = "127.0.0.1", port: int = 8000):
    """An HTTP server for a built site (what GitHub Pages does: files, 404.html for the rest)."""
    import functools
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    if not directory.is_dir():
        raise SiteError("is not a folder; build the site first with 'reportgen build'", path=directory)

    class Handler(SimpleHTTPRequestHandler):
        extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".wasm": "application/wasm",
                          ".js": "text/javascript", ".md": "text/markdown; charset=utf-8",
                          ".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
                          ".parquet": "application/vnd.apache.parquet"}

        def end_headers(self):
            self.send_header("Cache-Control", "no-cache")
            super().end_headers()

        def send_error(self, code, message=None, explain=None):
            page = directory / "404.html"
            if code == 404 and page.is_file():
                body = page.read_bytes()
                self.send_response(404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)
                return
            super().send_error(code, message, explain)

        def log_message(self, format, *args):  # noqa: A002
            sys.stderr.write("%s %s\n" % (self.address_string(), format % args))

    handler = functools.partial(Handler, directory=str(directory))
    try:
        return ThreadingHTTPServer((host, port), handler)
    except OSError as exc:
        raise SiteError(f"cannot listen on {host}:{port} ({exc.strerror}); pass another --port") from None

