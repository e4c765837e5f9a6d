"""Build a site: gather the numbers, render every page, add the static files, the data files and
the search index, all in memory; then write what changed."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from reportgen import store
from reportgen.errors import UsageError
from reportgen.output import SITE_FORMATS
from reportgen.site.render import render_site
from reportgen.resources import resource_dir
from reportgen.site import console, data, duckdb_wasm
from reportgen.site.gathering import gather
from reportgen.site.search import SEARCH_LIMIT, pagefind_available, search_index
from reportgen.site.writer import MANIFEST, write


@dataclass
class BuildResult:
    out: Path
    files: int = 0
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    pages: int = 0
    search: bool = False
    sql_console: bool = False


def static_files(templates_dir: Path | None) -> dict[str, bytes]:
    """``static/…``: the bundled static files, overridden by name by those of ``templates_dir``."""
    out: dict[str, bytes] = {}
    for base in [resource_dir("templates") / "static"] + ([templates_dir / "static"] if templates_dir else []):
        if base.is_dir():
            for path in sorted(base.rglob("*")):
                if path.is_file():
                    out["static/" + path.relative_to(base).as_posix()] = path.read_bytes()
    return out


def collect(db: Path, *, run: str | None = None, formats=SITE_FORMATS, templates_dir: Path | None = None,
            search: bool | None = None, previous: Path | None = None,
            sql_console: bool | Path = False, search_limit: int = SEARCH_LIMIT) -> tuple[dict[str, bytes], int, bool]:
    """Every file of the site as ``{relative path: bytes}`` (no writing), the number of pages, and
    whether it has a search index. ``previous``: a built site whose search index may be reused;
    ``search_limit``: the most transcript pages the index covers (a fixed sample beyond).
    ``sql_console``: add the SQL console, with DuckDB-Wasm from that folder (True: ./node_modules or the cache)."""
    formats = list(formats)
    if not formats or any(f not in SITE_FORMATS for f in formats):
        raise UsageError(f"--format takes {', '.join(SITE_FORMATS)} or {','.join(SITE_FORMATS)}, "
                         f"not {','.join(formats)!r}")
    if search_limit < 1:
        raise UsageError(f"--search-limit takes a number of pages, at least 1, not {search_limit}")
    if templates_dir is not None and not templates_dir.is_dir():
        raise UsageError("--templates must be a folder of templates (html/, md/, static/)", path=templates_dir)
    if search is None:
        search = "html" in formats and pagefind_available()
    package = None
    if sql_console is not False:
        if "html" not in formats:
            raise UsageError("--sql-console adds an HTML page; build with --format html or html,md")
        package = duckdb_wasm.find(None if sql_console is True else Path(sql_console))
    console_files: dict[str, bytes] = {}
    with store.open_db(db, read_only=True) as con:
        tables = data.frames(con, run)
        site = gather(con, run, search=search, tables=tables, search_limit=search_limit)
        if package is not None:
            console.add_page(site)
            console_files = console.files(con, run, tables, package)
    rendered = render_site(site, formats, templates_dir)
    files: dict[str, bytes] = {path: text.encode("utf-8") for path, text in rendered.items()}
    pages_count = len(files)
    files.update(data.data_files(tables))
    if "html" in formats:
        files.update(static_files(templates_dir))
        files[".nojekyll"] = b""
    files.update(console_files)
    if search:
        files.update(search_index(files, previous, limit=search_limit))
    files[MANIFEST] = ("".join(p + "\n" for p in sorted(files))).encode("utf-8")
    return files, pages_count, search


def build(db: Path, out: Path, *, run: str | None = None, formats=SITE_FORMATS, clean: bool = False,
          templates_dir: Path | None = None, search: bool | None = None, sql_console: bool | Path = False,
          search_limit: int = SEARCH_LIMIT) -> BuildResult:
    """Build the site of ``db`` into ``out``; return what was written."""
    files, pages_count, searched = collect(db, run=run, formats=formats, templates_dir=templates_dir, search=search,
                                          previous=None if clean else out, sql_console=sql_console,
                                          search_limit=search_limit)
    written, removed = write(files, out, clean=clean)
    return BuildResult(out=out, files=len(files), written=written, removed=removed, pages=pages_count,
                       search=searched, sql_console=sql_console is not False)
