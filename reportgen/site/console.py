"""The SQL console (``reportgen build --sql-console``): ``sql.html``, where a reader of the site runs
SQL over the run's data with DuckDB-Wasm in the browser, under the names ``reportgen query`` uses.

The build adds, only when the console is on (a build without it is unchanged):

- ``console/tables/<name>.arrow.gz``: the base tables (``sql/console/tables/``: runs, sources without
  folders, items, verdicts, judge_orders, item_categories) and every report (``sql/report/``), as
  gzipped Arrow IPC streams. Arrow, not Parquet: DuckDB-Wasm reads Arrow natively, but reads Parquet
  only through its parquet extension, which it would fetch from outside the site.
- ``console/console.json``: what the page loads: the tables, the database's own macros and views
  created again (``wilson_low``, ``base_wins``, …), the settings that then lock DuckDB away from
  files, URLs and extensions (``sql/console/lock.sql``) and the query listing the columns.
- ``console/console.js`` and ``console.css`` (``templates/console/``) and DuckDB-Wasm itself
  (``reportgen.site.duckdb_wasm``) under ``console/duckdb/``.

The example queries on the page are ``sql/console/examples/*.sql``."""

from __future__ import annotations

import gzip
import io
import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from reportgen import report, sqlfiles, store
from reportgen.resources import resource_dir
from reportgen.site import duckdb_wasm
from reportgen.site.errors import SiteError
from reportgen.site.model import Page, Site

PAGE = "sql"
MANIFEST = "console/console.json"
TABLES = "console/tables/"
ASSETS = ("console.js", "console.css")
FIRST_EXAMPLE = "verdict_counts"  # in the editor when the page opens


@dataclass(frozen=True)
class Example:
    name: str
    description: str
    sql: str  # without the file's first comment line


def examples() -> list[Example]:
    """The example queries of the page: the one the editor opens with, then the others by file name."""
    found = [Example(f.short_name, f.description, "\n".join(f.text.splitlines()[1:]).strip() + "\n")
             for f in sqlfiles.group("console/examples")]
    return sorted(found, key=lambda e: (e.name != FIRST_EXAMPLE, e.name))


def base_tables() -> list[str]:
    return [f.short_name for f in sqlfiles.group("console/tables")]


def frames(con: duckdb.DuckDBPyConnection, run: str | None, reports: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """Every table of the console by its SQL name: the base tables (of ``run`` only, when given) and
    every report (``reports`` holds the site's, which are reused; run_list is read here)."""
    out = {name: store.frame(con, f"console/tables/{name}") for name in base_tables()}
    if run is not None:
        run_ids = out["runs"].filter(pl.col("name") == run)["run_id"].to_list()
        out = {name: df.filter(pl.col("run_id").is_in(run_ids)) for name, df in out.items()}
    for name in report.names():
        out[name] = reports[name] if name in reports else report.frame(con, name, run)
    return out


def _arrow(df: pl.DataFrame) -> bytes:
    """An Arrow IPC stream in the oldest layout (no string views), gzipped: DuckDB-Wasm reads no
    compressed Arrow, so the browser unzips it (DecompressionStream). No timestamp: same bytes each build."""
    buf = io.BytesIO()
    df.write_ipc_stream(buf, compression="uncompressed", compat_level=pl.CompatLevel.oldest())
    return gzip.compress(buf.getvalue(), mtime=0)


def _text(name: str) -> str:
    """A SQL file without its comment lines."""
    return "\n".join(line for line in sqlfiles.sql(name).splitlines() if not line.startswith("--")).strip()


def _statements(name: str) -> list[str]:
    return [s.query.strip() for s in duckdb.extract_statements(_text(name))]


def setup_sql(con: duckdb.DuckDBPyConnection, tables: dict[str, pl.DataFrame]) -> list[str]:
    """The database's own macros and views, as statements the browser runs once the tables are
    there, in an order that works: each is tried here on empty copies of the tables, and one that
    needs another (item_key_of needs norm_text) comes after it."""
    template = _text("console/create_macro")
    pending = [template.replace("{name}", name).replace("{parameters}", ", ".join(parameters))
               .replace("{table}", "TABLE " if kind == "table_macro" else "").replace("{definition}", definition)
               for name, kind, parameters, definition in store.run(con, "console/catalog_macros")]
    pending += [sql.strip() for _, sql in store.run(con, "console/catalog_views")]
    scratch = duckdb.connect()
    try:
        for name, df in tables.items():
            scratch.register(name, df.head(0))
        ordered: list[str] = []
        while pending:
            failed = []
            for statement in pending:
                try:
                    scratch.execute(statement)
                    ordered.append(statement)
                except duckdb.Error as exc:
                    failed.append((statement, exc))
            if len(failed) == len(pending):
                statement, exc = failed[0]
                raise SiteError(f"the SQL console cannot create this again ({str(exc).splitlines()[0]}): "
                                f"{' '.join(statement.split())[:120]}")
            pending = [s for s, _ in failed]
        return ordered
    finally:
        scratch.close()


def data_files(con: duckdb.DuckDBPyConnection, run: str | None, reports: dict[str, pl.DataFrame]) -> dict[str, bytes]:
    """``console/tables/*.arrow.gz`` and ``console/console.json``."""
    tables = frames(con, run, reports)
    bases = set(base_tables())
    files = {f"{TABLES}{name}.arrow.gz": _arrow(df) for name, df in tables.items()}
    manifest = {
        "duckdb_wasm": duckdb_wasm.VERSION,
        "duckdb": duckdb_wasm.DUCKDB_VERSION,
        "tables": [{"name": name, "file": f"tables/{name}.arrow.gz", "rows": df.height,
                    "kind": "table" if name in bases else "report"} for name, df in tables.items()],
        "setup": setup_sql(con, tables),
        "lock": _statements("console/lock"),
        "columns": _statements("console/columns")[0],
    }
    files[MANIFEST] = (json.dumps(manifest, indent=1, ensure_ascii=True) + "\n").encode("ascii")
    return files


def assets() -> dict[str, bytes]:
    base = resource_dir("templates") / "console"
    return {f"console/{name}": (base / name).read_bytes() for name in ASSETS}


def add_page(site: Site) -> None:
    """Turn the console on in the page model: the nav link and ``sql.html`` (no Markdown twin)."""
    site.sql_console = True
    site.pages.append(Page(PAGE, "sql", {"examples": examples()}, html_only=True))


def files(con: duckdb.DuckDBPyConnection, run: str | None, reports: dict[str, pl.DataFrame],
          package: Path) -> dict[str, bytes]:
    """Every file the console adds besides its page: data, manifest, script, style and DuckDB-Wasm."""
    return {**data_files(con, run, reports), **assets(), **duckdb_wasm.bundle(package)}
