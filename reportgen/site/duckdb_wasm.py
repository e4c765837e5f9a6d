"""DuckDB-Wasm for the SQL console: find the pinned npm package, check every file against the
SHA-256 pinned here, and return the files the site serves under ``console/duckdb/``.

Nothing is fetched at build time or in the browser: the package comes from ``npm`` (run by the
user, the Makefile or the Pages workflow) into ``--sql-console DIR``, ``./node_modules`` or the
cache, and is copied into the site. Only the ``eh`` bundle is used (Wasm exceptions: every
current browser), with its worker. ``duckdb-browser.mjs`` imports the npm package ``apache-arrow``
by a bare name, which a browser cannot resolve without a bundler; the site ships Arrow's browser
bundle as a classic script and the two imports are pointed at ``arrow.mjs``, a small module that
re-exports what they use from it. Every other file is copied byte for byte."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from reportgen.resources import cache_dir as _cache_dir, resource_dir
from reportgen.site.errors import SiteError

VERSION = "1.32.0"
DUCKDB_VERSION = "1.4.3"  # the DuckDB inside it (SELECT version() in the console)
ARROW_VERSION = "17.0.0"  # the apache-arrow that @duckdb/duckdb-wasm 1.32.0 depends on (^17.0.0)
NPM_PACKAGES = f"@duckdb/duckdb-wasm@{VERSION} apache-arrow@{ARROW_VERSION}"
PREFIX = "console/duckdb/"
STAMP = PREFIX + "reportgen-duckdb-wasm.txt"


@dataclass(frozen=True)
class Vendored:
    site: str      # file name under console/duckdb/
    package: str   # npm package
    path: str      # path inside the package
    sha256: str    # of the file as npm installs it


FILES = (
    Vendored("duckdb-eh.wasm", "@duckdb/duckdb-wasm", "dist/duckdb-eh.wasm",
             "4c221bfa59c11f24dbd750e70c90b9252eca6eec5633936e6a2ec766e55fd879"),
    Vendored("duckdb-browser-eh.worker.js", "@duckdb/duckdb-wasm", "dist/duckdb-browser-eh.worker.js",
             "f8ab72b6b90b3ad83077d47426d4a99d5d9a4c7e07cba1a2be37d655adc7c1ab"),
    Vendored("duckdb-browser.mjs", "@duckdb/duckdb-wasm", "dist/duckdb-browser.mjs",
             "4f8c0bb3c23d1ec457a451cc27418597b9a40dd772cceacc436a2cb7b9a49c18"),
    Vendored("arrow.js", "apache-arrow", "Arrow.esnext.min.js",
             "27acb81b1b1b5cf96785deca75da60d05e2267b84b59e8e7e26ea131c8ed587f"),
    Vendored("LICENSE.apache-arrow.txt", "apache-arrow", "LICENSE.txt",
             "229dbe29e4e1344e95172f6f3a4277ec0da5c7850cb03897c47f3a24b7afce08"),
    Vendored("NOTICE.apache-arrow.txt", "apache-arrow", "NOTICE.txt",
             "b62ea242642d3a18f1e29b0c1fe082415a6943fe158ee22b48cff3762f354009"),
)
_ARROW_IMPORT = b'from"apache-arrow"'
_SHIM_IMPORT = b'from"./arrow.mjs"'


def cache_dir() -> Path:
    """Where ``npm install --prefix`` puts the package when no folder is given:
    ``$REPORTGEN_CACHE/npm``, else ``$XDG_CACHE_HOME/reportgen/npm`` (``~/.cache/reportgen/npm``)."""
    return _cache_dir("npm")


def npm_command(prefix: Path | None = None) -> str:
    return f"npm install --no-save --prefix {prefix or cache_dir()} {NPM_PACKAGES}"


def _node_modules(folder: Path) -> Path | None:
    """The node_modules folder that holds @duckdb/duckdb-wasm, given that folder, its parent
    (an ``npm --prefix`` folder) or the package folder itself."""
    for candidate in (folder, folder / "node_modules", folder.parent.parent):
        if (candidate / "@duckdb" / "duckdb-wasm" / "package.json").is_file():
            return candidate
    return None


def _version(package_dir: Path) -> str | None:
    try:
        return json.loads((package_dir / "package.json").read_text(encoding="utf-8")).get("version")
    except (OSError, ValueError):
        return None


def find(folder: Path | None = None) -> Path:
    """The node_modules folder holding the pinned DuckDB-Wasm and Arrow: ``folder`` when given,
    else ``./node_modules``, else the cache. Raises SiteError with the npm command that fetches it."""
    places = [folder] if folder is not None else [Path("node_modules"), cache_dir()]
    found = next((m for m in (_node_modules(p) for p in places) if m is not None), None)
    if found is None:
        where = " or ".join(str(p) for p in places)
        raise SiteError(f"--sql-console needs DuckDB-Wasm {VERSION}, not found in {where}; fetch it with: "
                        f"{npm_command(folder)}")
    for name, wanted in (("@duckdb/duckdb-wasm", VERSION), ("apache-arrow", ARROW_VERSION)):
        package = _package_dir(found, name)
        have = _version(package) if package else None
        if have != wanted:
            raise SiteError(f"--sql-console needs {name} {wanted}, {found} has {have or 'none'}; fetch it with: "
                            f"{npm_command(folder or found.parent)}")
    return found


def _package_dir(node_modules: Path, name: str) -> Path | None:
    """An npm package beside @duckdb/duckdb-wasm, or nested inside it (older npm layouts)."""
    for candidate in (node_modules / name, node_modules / "@duckdb" / "duckdb-wasm" / "node_modules" / name):
        if (candidate / "package.json").is_file():
            return candidate
    return None


def bundle(node_modules: Path) -> dict[str, bytes]:
    """``console/duckdb/…``: the checked DuckDB-Wasm files, the Arrow shim and the stamp."""
    out: dict[str, bytes] = {}
    stamp = [f"@duckdb/duckdb-wasm {VERSION} (MIT; DuckDB {DUCKDB_VERSION}) and apache-arrow {ARROW_VERSION} "
             "(Apache-2.0), from npm. SHA-256 of each file here, and where it comes from:"]
    for f in FILES:
        path = (_package_dir(node_modules, f.package) or node_modules / f.package) / f.path
        data = path.read_bytes() if path.is_file() else None
        if data is None or hashlib.sha256(data).hexdigest() != f.sha256:
            state = "is missing" if data is None else "does not match the SHA-256 pinned for this version"
            raise SiteError(f"{state}; reinstall it with: {npm_command(node_modules.parent)}", path=path)
        origin = f"{f.package}/{f.path}"
        if f.site == "duckdb-browser.mjs":
            data = _point_at_shim(data, path)
            origin += f" (sha256 {f.sha256}) with its two apache-arrow imports pointed at arrow.mjs"
        out[PREFIX + f.site] = data
        stamp.append(f"{hashlib.sha256(data).hexdigest()}  {f.site}  {origin}")
    out[PREFIX + "arrow.mjs"] = (resource_dir("templates") / "console" / "arrow.mjs").read_bytes()
    out[STAMP] = ("\n".join(stamp) + "\n").encode("ascii")
    return out


def _point_at_shim(data: bytes, path: Path) -> bytes:
    if data.count(_ARROW_IMPORT) != 2:
        raise SiteError("does not import apache-arrow as expected; reinstall DuckDB-Wasm", path=path)
    return data.replace(_ARROW_IMPORT, _SHIM_IMPORT)
