"""Build a site: gather the numbers, decide which pages changed since the last build into the same
folder (``reportgen.site.incremental``), render those, add the static files, the data files and the
search index, all in memory; then write what changed."""

from __future__ import annotations

import contextlib
import gc
import io
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reportgen.errors import UsageError
from reportgen.output import SITE_FORMATS
from reportgen.resources import resource_dir
from reportgen.site import duckdb_wasm, incremental
from reportgen.site.incremental import STATE, State, Templates
from reportgen.site import search as site_search
from reportgen.site.search import (SEARCH_LIMIT, STAMP_NAME, by_bundle, pagefind_available,
                                   pagefind_version, search_index, stamped)
from reportgen.site.writer import MANIFEST, STAGING, Output


CHUNK = 5_000  # pages rendered per part: the most transcripts whose text is in memory at once


@dataclass
class BuildResult:
    out: Path
    files: int = 0
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    pages: int = 0  # page files (html and md)
    search: bool = False
    sql_console: bool = False
    rendered: list[str] = field(default_factory=list)  # the page files rendered by this build
    skipped: int = 0  # page files the last build left current, neither rendered nor written


def static_files(templates_dir: Path | None) -> dict[str, bytes]:
    """``static/…``: the bundled static files, overridden by name by those of ``templates_dir``."""
    out: dict[str, bytes] = {}
    for base in [resource_dir("templates") / "static"] + ([templates_dir / "static"] if templates_dir else []):
        if base.is_dir():
            for path in sorted(base.rglob("*")):
                if path.is_file():
                    out["static/" + path.relative_to(base).as_posix()] = path.read_bytes()
    return out


@dataclass
class _Plan:
    """What a build produces: the files to write, the files already written (``put``: pages their
    rendering worker wrote), the files of the last build kept as they are, and the state (key, size)
    of every file."""
    files: dict[str, bytes] = field(default_factory=dict)
    put: list[str] = field(default_factory=list)
    keep: set[str] = field(default_factory=set)
    records: dict[str, tuple[str, int]] = field(default_factory=dict)
    rendered: list[str] = field(default_factory=list)
    pages: int = 0
    search: bool = False

    def add(self, rel: str, data: bytes, key: str, state: State) -> None:
        """A produced file: written unless the last build left it with the same key."""
        self.records[rel] = (key, len(data))
        if state.current(rel, key):
            self.keep.add(rel)
        else:
            self.files[rel] = data

    def kept(self, rel: str, state: State) -> None:
        self.records[rel] = state.records[rel]
        self.keep.add(rel)


def _check(formats: list[str], templates_dir: Path | None, search_limit: int, sql_console: bool | Path) -> None:
    if not formats or any(f not in SITE_FORMATS for f in formats):
        raise UsageError(f"--format takes {', '.join(SITE_FORMATS)} or {','.join(SITE_FORMATS)}, "
                         f"not {','.join(formats)!r}")
    if sql_console is not False and "html" not in formats:
        raise UsageError("--sql-console adds an HTML page; build with --format html or html,md")
    if search_limit < 1:
        raise UsageError(f"--search-limit takes a number of pages, at least 1, not {search_limit}")
    if templates_dir is not None and not templates_dir.is_dir():
        raise UsageError("--templates must be a folder of templates (html/, md/, static/)", path=templates_dir)


@contextlib.contextmanager
def _collector_paused():
    """Python's cycle collector off for the build: the page model is hundreds of thousands of objects
    that all live until the build ends, and each collection of the oldest generation walks them all
    (a third of a rebuild's time at 10k transcripts; writing the state file afterwards, a tenth).
    Reference counting frees the rest. Rendering, which makes cyclic garbage, collects with the
    model frozen out of it (``render._collecting``)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _due(site, renderer, templates: Templates, state: State, plan: _Plan) -> list:
    """The pages whose files are not current in ``state``, each with the formats due and their keys;
    the current ones are recorded in ``plan`` as kept. (``State.current`` and ``_Plan.kept`` inlined:
    this runs once per page file, hundreds of thousands of times on a large site.)"""
    site_digest = incremental.site_digest(site)
    inputs_digest, page_key = incremental.inputs_digest, incremental.page_key
    kinds: dict[tuple[str, bool], list] = {}   # (template, html only): [(format, key hasher), ...]
    last, intact = state.records, state.intact()
    records, keep = plan.records, plan.keep
    todo, files = [], 0
    for page in site.pages:
        kind = kinds.get((page.template, page.html_only))
        if kind is None:
            kind = kinds[page.template, page.html_only] = [
                (fmt, incremental.key_hasher(site_digest, templates.digest(fmt, f"{page.template}.{fmt}"),
                                             page.html_only))
                for fmt in renderer.formats if not (fmt == "md" and page.html_only)]
        inputs = inputs_digest(page)
        formats_due = []
        for fmt, hasher in kind:
            rel = f"{page.path}.{fmt}"
            key = page_key(hasher, rel, inputs)
            record = last.get(rel)
            if key is not None and record is not None and record[0] == key and rel in intact:
                records[rel] = record
                keep.add(rel)
            else:
                formats_due.append((fmt, key))
        files += len(kind)
        if formats_due:
            todo.append((page, formats_due))
    plan.pages += files
    return todo


def _resolve(formats: list[str], search: bool | None, sql_console: bool | Path) -> tuple[bool, Path | None]:
    """Whether the build makes a search index (by default, when Pagefind is installed), and the
    DuckDB-Wasm folder of the SQL console (None without one)."""
    if search is None:
        search = "html" in formats and pagefind_available()
    package = None if sql_console is False else duckdb_wasm.find(None if sql_console is True else Path(sql_console))
    return search, package


def _manifest(paths) -> bytes:
    """The manifest's text: every file of the build but itself, sorted."""
    return "".join(p + "\n" for p in sorted(paths)).encode("utf-8")


def _plan(db: Path, state: State, *, run: str | None, formats: list[str], templates_dir: Path | None,
          search: bool, package: Path | None, previous: Path | None, search_limit: int,
          output: Output | None = None) -> _Plan:
    """Everything a build writes; with ``output``, the rendered pages are written into it by the
    processes that render them. The data files are made while the pages render; into a built site,
    the transcripts' from the start, in a thread (finished before rendering forks)."""
    # Here, not at the top: a rebuild that nothing changed (``build``) needs none of them.
    from reportgen import store
    from reportgen.site import console, data
    from reportgen.site.gathering import gather, load_fields, load_text, unload_text
    from reportgen.site.render import Renderer, forks

    plan = _Plan(search=search)
    renderer = Renderer(formats, templates_dir)
    others: dict[str, bytes] = {}
    if output is not None:
        output.start()  # here, before a thread writes into it
    with store.open_db(db, read_only=True) as con, ThreadPoolExecutor(1, thread_name_prefix="reportgen-data") as side:
        store.cap_memory(con)  # the build streams the transcripts' text: DuckDB need not keep what it read
        made: list[tuple[str, str, Any]] = []
        site = gather(con, run, search=search, text=False, search_limit=search_limit)
        # The parts of the transcripts' data file whose digest changed are written again. Into a built site,
        # on a connection of their own from here (DuckDB, polars and pyarrow leave the interpreter to the
        # rendering meanwhile). A first build renders every page: they are made while it does, like the other
        # data files.
        transcripts = (side.submit(store.on_cursor, _transcripts_files, con.cursor(), run, site, state, output)
                       if state.mtime_ns else None)
        tables = site.tables
        search = plan.search = site.search
        if package is not None:
            console.add_page(site)
        site.formats = tuple(renderer.formats)
        todo = _due(site, renderer, Templates(renderer.envs), state, plan)
        if forks(min(len(todo), CHUNK)):
            side.shutdown()  # before rendering forks its workers: no thread of ours but this one then
        if any(page.template == "run" for page, _ in todo):
            load_fields(site)

        def data_and_static() -> None:
            """The data files, static files and SQL console: made while the pages render."""
            if transcripts is None:
                made.extend(_transcripts_files(con, run, site, state, output))
            others.update(console.files(con, run, tables, package) if package is not None else {})
            others.update(data.data_files(tables))
            if "html" in formats:
                others.update(static_files(templates_dir))
                others[".nojekyll"] = b""

        keys = {f"{page.path}.{fmt}": key for page, formats_due in todo for fmt, key in formats_due}

        def write_page(rel: str, text: str) -> bytes | int:
            """In the rendering process: write the page and return its size. A page without inputs
            (rendered every time) is written only when its bytes changed: its bytes go back to be compared."""
            content = text.encode("utf-8")
            if keys[rel] is None:
                return content
            output.put(rel, content)
            return len(content)

        # A bounded number of transcripts' text in memory at once: each part is read, rendered (by
        # workers forked for it) and let go before the next.
        for start in range(0, max(len(todo), 1), CHUNK):
            part = todo[start:start + CHUNK]
            loaded = load_text(con, site, {page.path for page, _ in part})
            due = [(page, [fmt for fmt, _ in formats_due]) for page, formats_due in part]
            results = renderer.render(due, site, each=None if output is None else write_page,
                                      meanwhile=data_and_static if start == 0 else None)
            unload_text(loaded)
            if start == 0 and transcripts is not None:
                made.extend(transcripts.result())
            for rel, key, what in made if start == 0 else ():
                if what is None:
                    plan.kept(rel, state)
                elif isinstance(what, bytes):
                    plan.add(rel, what, key, state)
                else:
                    plan.records[rel] = (key, what)
                    plan.put.append(rel)
            for rel, result in results.items():
                plan.rendered.append(rel)
                if output is None:
                    result = result.encode("utf-8")
                    plan.add(rel, result, keys[rel] or incremental.content_key(result), state)
                elif isinstance(result, bytes):
                    plan.add(rel, result, incremental.content_key(result), state)
                else:
                    plan.records[rel] = (keys[rel], result)
                    plan.put.append(rel)
    for rel, content in others.items():
        plan.add(rel, content, incremental.content_key(content), state)
    if search:
        _search(plan, state, previous, site.search_bundles, output)
    return plan


def _transcripts_files(con, run: str | None, site, state: State, output: Output | None) -> list[tuple[str, str, Any]]:
    """The parts of ``data/transcripts/`` (a CSV and a Parquet file each), which hold every transcript's
    text: a part is kept when its digest (``site.transcript_parts``: ``data.parts_of``) and
    the number of parts are the last build's, else streamed from the database into its files (the text
    need not fit in memory). Returns (path, key, what) for each file: None for a file kept, its size for
    one written into ``output``, its bytes without ``output``."""
    from reportgen.site import data

    digests = site.transcript_parts.digests
    parts = len(digests)
    rels = [[f"{stem}.{ext}" for ext in ("csv", "parquet")] for stem in data.part_stems(parts)]
    keys = [incremental.derived_key("transcripts", data.writer_stamp(), str(parts), digest) for digest in digests]
    out: list[tuple[str, str, Any]] = []
    wanted = []
    for k in range(parts):
        if all(state.current(rel, keys[k]) for rel in rels[k]):
            out += [(rel, keys[k], None) for rel in rels[k]]
        else:
            wanted.append(k)

    @contextlib.contextmanager
    def open_part(k: int):
        if output is None:
            made = io.BytesIO(), io.BytesIO()
            yield made
            out.extend((rel, keys[k], f.getvalue()) for rel, f in zip(rels[k], made))
            return
        with output.open(rels[k][0]) as csv_file, output.open(rels[k][1]) as parquet_file:
            yield csv_file, parquet_file
            sizes = csv_file.tell(), parquet_file.tell()
        out.extend((rel, keys[k], size) for rel, size in zip(rels[k], sizes))

    # Some parts: read by the keys of their items.
    items = None if len(wanted) == parts else site.transcript_parts.keys(wanted)
    data.write_transcripts(con, run, parts, wanted, open_part, items)
    return out


class _Written(Mapping):
    """Every file of the build by path, its bytes read when asked: from memory (``plan.files``), from
    where a worker wrote it, or from the last build's folder (kept)."""

    def __init__(self, plan: _Plan, state: State, output: Output | None):
        self._plan, self._state, self._output, self._put = plan, state, output, set(plan.put)

    def __getitem__(self, rel: str) -> bytes:
        if rel in self._plan.files:
            return self._plan.files[rel]
        if rel in self._put:
            return self._output.written(rel).read_bytes()
        if rel in self._plan.records:
            return (self._state.out / rel).read_bytes()
        raise KeyError(rel)

    def __iter__(self):
        return iter(self._plan.records)

    def __len__(self) -> int:
        return len(self._plan.records)


def _search(plan: _Plan, state: State, previous: Path | None, bundles: dict[str, list[str]],
            output: Output | None) -> None:
    """The Pagefind index, a bundle per shard (``bundles``: ``Site.search_bundles``, which the search
    page names too): a bundle is kept when none of its pages changed, else built again over them."""
    held = by_bundle(state.records)
    written = set(plan.files) | set(plan.put)
    todo = {}
    for folder, pages in bundles.items():
        bundle = held.get(folder, [])
        stamp = f"{folder}/{STAMP_NAME}"
        if (stamp in bundle and not any(rel in written for rel in pages)
                and all(state.current(rel, state.records[rel][0]) for rel in bundle)
                and stamped((state.out / stamp).read_text(encoding="utf-8"), pages)):
            for rel in bundle:
                plan.kept(rel, state)
        else:
            todo[folder] = pages
    if not todo:
        return
    made = search_index(_Written(plan, state, output), previous, intact=state.intact().__contains__, bundles=todo)
    for rel, content in made.items():
        plan.add(rel, content, incremental.content_key(content), state)


def collect(db: Path, *, run: str | None = None, formats=SITE_FORMATS, templates_dir: Path | None = None,
            search: bool | None = None, previous: Path | None = None,
            sql_console: bool | Path = False, search_limit: int = SEARCH_LIMIT) -> tuple[dict[str, bytes], int, bool]:
    """Every file of the site as ``{relative path: bytes}`` (no writing), the number of page files,
    and whether it has a search index. ``previous``: a built site whose search index may be reused;
    ``search_limit``: the most transcript pages the index covers (a fixed sample beyond).
    ``sql_console``: add the SQL console, with DuckDB-Wasm from that folder (True: ./node_modules or the cache)."""
    formats = list(formats)
    _check(formats, templates_dir, search_limit, sql_console)
    search, package = _resolve(formats, search, sql_console)
    with _collector_paused():
        plan = _plan(db, State(Path("."), {}, 0), run=run, formats=formats, templates_dir=templates_dir,
                     search=search, package=package, previous=previous, search_limit=search_limit)
        files = dict(plan.files)
        files[STATE] = incremental.state_file(plan.records)
    files[MANIFEST] = _manifest(files)
    return files, plan.pages, plan.search


def build(db: Path, out: Path, *, run: str | None = None, formats=SITE_FORMATS, clean: bool = False,
          templates_dir: Path | None = None, search: bool | None = None, sql_console: bool | Path = False,
          search_limit: int = SEARCH_LIMIT) -> BuildResult:
    """Build the site of ``db`` into ``out``, rendering only the pages whose inputs changed since the
    last build there (every page with ``clean``); return what was rendered and written."""
    formats = list(formats)
    _check(formats, templates_dir, search_limit, sql_console)
    search, package = _resolve(formats, search, sql_console)
    inputs = incremental.build_inputs(db, templates_dir, _options(run, formats, search, package, search_limit))
    state = State(out, {}, 0) if clean else State.load(out)
    if not clean:
        last = incremental.last_build(out, inputs)
        if last is not None and _as_left(out, state):
            return BuildResult(out=out, files=last["files"], pages=last["pages"], search=last["search"],
                               sql_console=sql_console is not False, skipped=last["pages"])
    with _collector_paused(), Output(out, clean=clean) as output:
        plan = _plan(db, state, run=run, formats=formats, templates_dir=templates_dir, search=search,
                     package=package, previous=None if clean else out, search_limit=search_limit, output=output)
        files = plan.files
        listed = set(plan.records) | {STATE}
        manifest = _manifest(listed)
        # The state file is written after any other file, so a file changed after it is not current.
        if files or plan.put or plan.records != state.records:
            files[STATE] = incremental.state_file(plan.records)
        else:
            plan.keep.add(STATE)
        if state.same_file(MANIFEST, manifest):
            plan.keep.add(MANIFEST)
        else:
            files[MANIFEST] = manifest
        written, removed = output.finish(files, put=plan.put, keep=plan.keep)
    incremental.remember(out, inputs, {"files": len(listed) + 1, "pages": plan.pages, "search": plan.search})
    return BuildResult(out=out, files=len(listed) + 1, written=written, removed=removed, pages=plan.pages,
                       search=plan.search, sql_console=sql_console is not False, rendered=plan.rendered,
                       skipped=plan.pages - len(plan.rendered))


def _options(run: str | None, formats: list[str], search: bool, package: Path | None, search_limit: int) -> dict:
    """The options a build's files depend on (``_resolve``d)."""
    console_from = None if package is None else [str(package.resolve()), duckdb_wasm.VERSION, duckdb_wasm.ARROW_VERSION]
    return {"run": run, "formats": formats, "search": search, "pagefind": pagefind_version() if search else None,
            "search_limit": search_limit, "search_shard": site_search.SHARD_PAGES if search else None,
            "sql_console": console_from}


def _as_left(out: Path, state: State) -> bool:
    """Whether every file of the last build in ``out`` is as it left it: each as its state file
    records it, the manifest listing them, and no staging folder of an interrupted build."""
    records = state.records
    if not records or len(state.intact()) != len(records) or (out / STAGING).exists():
        return False
    return state.same_file(MANIFEST, _manifest(set(records) | {STATE}))
