"""Search: the Pagefind index over the HTML pages (a subprocess in a scratch folder, kept between
builds while the pages are the same) and ``search-data.js``, the page list of the search filters."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from reportgen.site.errors import SiteError
from reportgen.site.model import Site
from reportgen.site.writer import MANIFEST


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


def search_data(site: Site) -> bytes:
    """``search-data.js``: every transcript page with its title, paper and categories, for the search
    page's paper and category filters. A classic script, so the filters also work from ``file://``."""
    pages = [{"url": t.page + ".html", "title": t.question, "paper": t.paper, "run": run.name,
              "categories": t.categories}
             for run in site.runs for t in run.transcripts]
    text = json.dumps(pages, ensure_ascii=True, sort_keys=True, separators=(",", ":"))
    return f"window.REPORTGEN_PAGES = {text};\n".encode("ascii")
