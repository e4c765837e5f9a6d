"""Incremental builds: what each file of the site was made from, so a rebuild renders and writes only
the pages whose inputs changed.

A page's key is a SHA-256 over reportgen's rendering code (``code_stamp``), the site-wide inputs
(``site_inputs``: the title, the runs' names and homes, the formats, …), the page's templates with
everything they extend, include and import (``Templates``), its path, and its own ``inputs``
(``Page.inputs``, made in gathering; ``inputs_of`` turns model objects into such data). Another
file's key is the SHA-256 of its bytes, or of what it is made from where reading that costs more
(the parts of ``data/transcripts/``: the transcript list's digests of their items, ``data.parts_of``).

The output folder's ``STATE`` file lists every file of the last build with its key and size; it is
written after every other file but the manifest. A file is current when its key is the same, its
size is the recorded one and it was not modified after the state file was written (mtime): a file
edited by hand or deleted is written again by the next build. Nothing is read back to compare."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import re
import sys
import threading
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reportgen.resources import cache_dir, resource_dir

if TYPE_CHECKING:
    import jinja2

STATE = ".reportgen-pages"  # every file of the last build: "<key> <size> <path>", one a line
_STATE_HEADER = "reportgen-pages 1\n"


# What turns the page model into page text besides the templates (builder, writer, search and the
# data files do not change a page's bytes).
_RENDERING_CODE = ("render.py", "gathering.py", "model.py", "slugs.py", "incremental.py", "console.py")


@functools.cache
def code_stamp() -> str:
    """A digest of what turns the database into pages besides the templates: reportgen's rendering
    code and field statistics, the SQL the pages are read with, and the versions of the libraries
    they use. (DuckDB's
    version needs no place here: where its hash() changed, so do the digests made with it.)"""
    h = hashlib.sha256()
    package = Path(__file__).resolve().parent.parent
    # The field's statistics are fitted only for the pages that show them: their code and SQL are
    # inputs here, and a digest of the verdicts they are computed from is one of those pages' inputs.
    sources = ([package / "site" / name for name in _RENDERING_CODE]
               + [package / name for name in ("output.py", "fieldreport.py", "fieldstats.py")])
    sql = resource_dir("sql")
    for folder in ("site", "report", "categories"):
        sources += sorted((sql / folder).glob("*.sql"))
    sources.append(sql / "stats" / "verdict_inputs.sql")
    for path in sources:
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    _add_versions(h, ("jinja2", "markdown-it-py", "polars", "numpy", "scipy"))  # polars: the digests' row hash
    return h.hexdigest()


def _add_versions(h, dists: tuple[str, ...]) -> None:
    """The installed version of each distribution into the digest ``h`` ("?" where one is missing)."""
    for dist in dists:
        try:
            h.update(f"{dist} {version(dist)}\n".encode())
        except PackageNotFoundError:
            h.update(f"{dist} ?\n".encode())


def _json_default(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        raise TypeError(f"page inputs hold a {type(value).__name__}: pass it through inputs_of()")
    return str(value)  # dates, decimals


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class Inputs:
    """``inputs_of`` with a memory: a model object that many pages show (a run, a transcript in
    several lists) is turned into data once. Objects become a digest of their fields, leaving out
    those marked ``PAGE_ONLY`` (what only their own page shows)."""

    def __init__(self):
        self._memo: dict[int, tuple[Any, str]] = {}

    def __call__(self, value: Any) -> Any:
        kind = type(value)  # this runs for every value of every page: plain values skip the call
        if kind in _PLAIN or isinstance(value, (str, int, float, bool)):
            return value
        if isinstance(value, (list, tuple)):
            return [v if type(v) in _PLAIN else self(v) for v in value]
        if isinstance(value, dict):
            return {str(k): v if type(v) in _PLAIN else self(v) for k, v in value.items()}
        if hasattr(kind, "__dataclass_fields__"):
            ready = getattr(value, "input_digest", None)
            if ready:  # computed already, for many objects at once (``Transcript.input_digest``)
                return kind.__name__ + ":" + ready
            seen = self._memo.get(id(value))
            if seen is not None and seen[0] is value:
                return seen[1]
            fields = {}
            for name in _input_fields(kind):
                field = getattr(value, name)
                fields[name] = field if type(field) in _PLAIN else self(field)
            digest = kind.__name__ + ":" + _sha(dumps(fields))
            self._memo[id(value)] = (value, digest)
            return digest
        return str(value)


_PLAIN = frozenset({str, int, float, bool, type(None)})


@functools.cache
def _input_fields(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls) if f.metadata.get("input", True))


def site_inputs(site) -> Any:
    """What every page may show of the site as a whole (base template, navigation, footer)."""
    return {"title": site.title, "single": site.single, "search": site.search, "sql_console": site.sql_console,
            "formats": list(site.formats), "data": site.data, "sql": site.sql,
            "reliability_definitions": list(site.reliability_definitions),
            "runs": [[r.name, r.slug, r.home] for r in site.runs],
            "comparisons": [c.page for c in site.comparisons]}


class Templates:
    """The digest of a template with everything it extends, includes and imports, per format."""

    def __init__(self, envs: dict[str, jinja2.Environment]):
        self.envs = envs
        self._digests: dict[tuple[str, str], str] = {}

    def _all(self, fmt: str) -> str:
        """Every template of the format: what a template that names another at run time may use."""
        env = self.envs[fmt]
        return _sha("".join(name + "\0" + env.loader.get_source(env, name)[0] for name in sorted(env.list_templates())))

    def digest(self, fmt: str, name: str, _path: tuple[str, ...] = ()) -> str:
        key = (fmt, name)
        if key in self._digests:
            return self._digests[key]
        import jinja2

        env = self.envs[fmt]
        try:
            source = env.loader.get_source(env, name)[0]
        except jinja2.TemplateNotFound:
            return "missing:" + name  # rendering says which template is missing
        parts = [name, source]
        for ref in _references(env, source):
            if ref is None:
                parts.append(self._all(fmt))
            elif ref not in _path and ref != name:
                parts.append(self.digest(fmt, ref, _path + (name,)))
        digest = _sha("\0".join(parts))
        self._digests[key] = digest
        return digest


_TAG = re.compile(r"\{%[-+]?\s*(?:extends|include|import|from)\b\s*(.*?)\s*[-+]?%\}", re.S)
_LITERAL = re.compile(r"""(["'])([^"'\\]*)\1(?=\s|$)""")


def _references(env: jinja2.Environment, source: str) -> list[str | None]:
    """The templates ``source`` extends, includes or imports; None for one named at run time.
    A tag whose argument starts with a plain string literal names that template; any other
    (a variable, a list) is None. Cheaper than parsing, and errs on the side of None."""
    refs: list[str | None] = []
    start = env.block_start_string
    if start != "{%":  # another syntax: parse it
        import jinja2.meta

        try:
            return sorted(jinja2.meta.find_referenced_templates(env.parse(source)), key=lambda n: (n is None, n or ""))
        except jinja2.TemplateSyntaxError:
            return []
    for tag in _TAG.finditer(source):
        literal = _LITERAL.match(tag.group(1))
        refs.append(literal.group(2) if literal else None)
    return refs


def site_digest(site) -> str:
    return _sha(code_stamp() + "\0" + dumps(site_inputs(site)))


class Digested(str):
    """Page inputs that are digests already, joined (transcript pages, made thousands at a time):
    ``inputs_digest`` takes them as they are."""


def digest_of(value: Any) -> str:
    return _sha(dumps(value))


def inputs_digest(page) -> str | None:
    """A digest of a page's inputs; None for a page without inputs."""
    if page.inputs is None:
        return None
    return str(page.inputs) if type(page.inputs) is Digested else digest_of(page.inputs)


def key_hasher(site: str, template: str, html_only: bool):
    """What the keys of the files of one page type in one format start from, the site's digest and
    the template's: a SHA-256 fed with them, which ``page_key`` copies for each file."""
    return hashlib.sha256("\0".join([site, template, str(html_only), ""]).encode("utf-8", "surrogatepass"))


def page_key(hasher, rel: str, inputs: str | None) -> str | None:
    """The key of one file of a page (``rel``): from its ``key_hasher`` and its inputs' digest; None
    (render every time) for a page without inputs."""
    if inputs is None:
        return None
    h = hasher.copy()
    h.update(f"{rel}\0{inputs}".encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def content_key(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def derived_key(*parts: str) -> str:
    """The key of a file made from what ``parts`` name (digests of its sources), with the code stamp."""
    return _sha("\0".join([code_stamp(), *parts]))


class State:
    """The files of the last build in ``out``: their keys and sizes, and which of them are current."""

    def __init__(self, out: Path, records: dict[str, tuple[str, int]], mtime_ns: int, *, text: str | None = None):
        self.out = out
        self._records = records
        self.mtime_ns = mtime_ns
        self._text = text  # the state file, parsed into records by the thread below
        self._prefix = os.path.join(out, "")  # the folder with its separator: a file's path is prefix + rel
        # Which recorded files are as the last build left them: one stat each, tens of thousands for a
        # large site, made (with the parsing) in a thread while the build reads the database, which
        # leaves the interpreter to it; the stat calls release it too.
        self._intact: set[str] = set()
        self._scan = threading.Thread(target=self._read, name="reportgen-state", daemon=True)
        if records or text:
            self._scan.start()

    def _read(self) -> None:
        if self._text is not None:
            self._records = _parse(self._text)
            self._text = None
            if not self._records:
                self.mtime_ns = 0
        intact, prefix, mtime_ns = set(), self._prefix, self.mtime_ns
        for rel, (_, size) in self._records.items():
            try:
                st = os.stat(prefix + rel)
            except OSError:
                continue
            if st.st_size == size and st.st_mtime_ns <= mtime_ns:
                intact.add(rel)
        self._intact = intact

    def _wait(self) -> None:
        if self._scan.is_alive():
            self._scan.join()

    @property
    def records(self) -> dict[str, tuple[str, int]]:
        self._wait()
        return self._records

    def intact(self) -> set[str]:
        """The recorded files that are as the last build left them (size, not modified since)."""
        self._wait()
        return self._intact

    @classmethod
    def load(cls, out: Path) -> State:
        path = out / STATE
        try:
            raw = path.read_bytes()
            mtime_ns = path.stat().st_mtime_ns
            text = raw.decode("utf-8")
        except (OSError, UnicodeDecodeError):
            return cls(out, {}, 0)
        if not text.startswith(_STATE_HEADER):
            return cls(out, {}, 0)
        return cls(out, {}, mtime_ns, text=text)

    def current(self, rel: str, key: str | None) -> bool:
        """Whether ``rel`` in the output folder was made from ``key`` and is as that build left it."""
        if key is None:
            return False
        record = self.records.get(rel)
        if record is None or record[0] != key:
            return False
        return rel in self.intact()

    def same_file(self, rel: str, content: bytes) -> bool:
        """Whether ``rel`` holds ``content`` (a small file read back: the manifest); never without a state."""
        if not self.records:
            return False
        try:
            return (self.out / rel).read_bytes() == content
        except OSError:
            return False


def _parse(text: str) -> dict[str, tuple[str, int]]:
    """The records of a state file's text (header checked already); none if any line is damaged."""
    records: dict[str, tuple[str, int]] = {}
    if "\0" in text:
        return {}
    try:
        for line in text[len(_STATE_HEADER):].splitlines():
            key, size, rel = line.split(" ", 2)
            records[rel] = (key, int(size))
    except ValueError:
        return {}
    return records


def state_file(records: dict[str, tuple[str, int]]) -> bytes:
    return (_STATE_HEADER + "".join(f"{key} {size} {rel}\n" for rel, (key, size) in sorted(records.items()))
            ).encode("utf-8")


# A rebuild that nothing changed ----------------------------------------------------------------
#
# A build from the same database file, code, templates and options into a site left as the last
# build made it would render and write nothing. ``build_inputs`` puts all of that in one digest,
# taken before the database is read; ``remember`` files it after a build, with the identity of the
# state file that build wrote, in reportgen's cache (not in the site, whose files must not depend
# on the machine: a published site is committed as it is); ``last_build`` finds it again.

RACY_NS = 2_000_000_000  # a database written this recently is not trusted by its stat (below)
_clock = time.time_ns
_BUILD_DISTS = ("duckdb", "polars", "pyarrow", "jinja2", "markupsafe", "markdown-it-py", "numpy", "scipy",
                "pagefind_bin")


@functools.cache
def _everything_stamp() -> str:
    """A digest of all of reportgen's code, SQL, templates and static files, and of the versions of
    Python and the libraries a build uses: anything a build's files could depend on."""
    h = hashlib.sha256(sys.version.encode())
    package = Path(__file__).resolve().parent.parent
    files = sorted(package.rglob("*.py"))
    for name in ("sql", "templates"):
        base = resource_dir(name)
        files += sorted(p for p in base.rglob("*") if p.is_file())
    for path in files:
        h.update(str(path).encode("utf-8", "surrogateescape") + b"\0" + path.read_bytes() + b"\0")
    _add_versions(h, _BUILD_DISTS)
    return h.hexdigest()


def _file_identity(path: Path, now_ns: int) -> str | None:
    """What the file system says of a file, or None when it was modified too recently to tell a
    later write from it: a write in the same tick of the file system's clock can leave the
    modification time as it was (git's "racy" files)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return "none"
    if now_ns - st.st_mtime_ns < RACY_NS:
        return None
    return f"{st.st_dev} {st.st_ino} {st.st_size} {st.st_mtime_ns} {st.st_ctime_ns}"


def _folder_digest(folder: Path | None) -> str:
    """Every file under ``folder``, folders it links to included (Jinja loads templates through them)."""
    if folder is None:
        return "-"
    h = hashlib.sha256()
    files = []
    for top, dirs, names in os.walk(folder, followlinks=True):
        here = Path(top)
        real = os.path.realpath(here)
        if any(os.path.realpath(up) == real for up in here.parents if up == folder or folder in up.parents):
            dirs[:] = []  # a link back up the tree
            continue
        files += [here / name for name in names]
    for path in sorted(files):
        if path.is_file():
            h.update(path.relative_to(folder).as_posix().encode("utf-8", "surrogateescape") + b"\0"
                     + path.read_bytes() + b"\0")
    return h.hexdigest()


def build_inputs(db: Path, templates_dir: Path | None, options: dict[str, Any]) -> str | None:
    """A digest of everything a build reads: the database file and its write-ahead log as the file
    system sees them (device, inode, size, modification and change times: any write changes
    them), reportgen's code and resources, ``templates_dir``'s files and the build's ``options``.
    None when the database was written less than two seconds ago (its stat cannot be trusted yet)."""
    now = _clock()
    real = Path(os.path.realpath(db))  # DuckDB keeps the write-ahead log beside the file a link points to
    identities = [_file_identity(real, now), _file_identity(real.with_name(real.name + ".wal"), now)]
    if None in identities or identities[0] == "none":
        return None
    return _sha("\0".join([*identities, _everything_stamp(), _folder_digest(templates_dir), dumps(options)]))


KEEP_RECORDS = 256  # the builds whose records the cache keeps: the output folders built into last


def _record_path(out: Path) -> Path:
    return cache_dir("builds") / (_sha(os.path.realpath(out))[:40] + ".json")


def _prune(keep: Path) -> None:
    """Keep ``keep`` and the newest other records of its folder, KEEP_RECORDS in all (one per output
    folder ever built into, a few hundred bytes each, would otherwise pile up; a record is renewed
    when its shortcut is taken), and no scratch file a killed build left."""
    try:
        with os.scandir(keep.parent) as it:
            entries = [(e.stat().st_mtime_ns, e.path, e.name) for e in it if e.name != keep.name]
    except OSError:
        return
    records = sorted(e for e in entries if e[2].endswith(".json"))
    stale = [e for e in entries if e[2].endswith(".tmp") and e[0] < time.time_ns() - 3600 * 10**9]
    for _, path, _ in records[:max(len(records) - KEEP_RECORDS + 1, 0)] + stale:
        try:
            os.unlink(path)
        except OSError:
            pass


def _state_identity(out: Path) -> list[int] | None:
    try:
        st = os.stat(out / STATE)
    except OSError:
        return None
    return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns]


def remember(out: Path, inputs: str | None, summary: dict[str, Any]) -> None:
    """After a build into ``out``: file that its state file was made from ``inputs`` (forget any
    earlier record when None), with the build's ``summary`` (what ``last_build`` gives back). The
    cache is a convenience: a failure to write it costs the next rebuild its shortcut, nothing else."""
    path = _record_path(out)
    identity = _state_identity(out)
    try:
        if inputs is None or identity is None:
            path.unlink(missing_ok=True)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"out": os.path.realpath(out), "state": identity, "inputs": inputs, "summary": summary})
        scratch = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        scratch.write_text(text, encoding="utf-8")
        os.replace(scratch, path)
    except OSError:
        pass
    _prune(path)


def last_build(out: Path, inputs: str | None) -> dict[str, Any] | None:
    """The summary ``remember`` filed for ``out`` when its state file is still the one the build
    made from ``inputs`` wrote; None otherwise. (Whether the site's files are as the state file
    says is for the caller to check.)"""
    if inputs is None:
        return None
    try:
        record = json.loads(_record_path(out).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if (not isinstance(record, dict) or record.get("inputs") != inputs or record.get("out") != os.path.realpath(out)
            or record.get("state") != _state_identity(out)):
        return None
    try:
        os.utime(_record_path(out))  # used: the last a prune would remove
    except OSError:
        pass
    return record.get("summary")
