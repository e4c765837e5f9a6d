"""``reportgen demo``: the bundled real example, end to end, offline."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from reportgen import stats, store
from reportgen.ingest import ingest
from reportgen.resources import example_dir
from reportgen.synth import generate

EXAMPLE_RUN = "llama31-8b-paper-qa"
# Two small synthetic checkpoints, so that every table of the site has data the real log cannot give:
# full per-paper rates (every verdict attributed), two-judge agreement, a run comparison.
SYNTHETIC_RUNS = (("synthetic-checkpoint-1", 0.45, 1), ("synthetic-checkpoint-2", 0.30, 1))
SYNTHETIC_ITEMS = 240


def example_files() -> list[Path]:
    d = example_dir()
    return [d / f"{EXAMPLE_RUN}.base-wins.csv", d / f"{EXAMPLE_RUN}.judge.log"]


def run(out: Path, sql_console: bool | Path | None = None) -> Iterator[str]:
    """The demo, line by line. ``sql_console``: with the SQL console (DuckDB-Wasm from that folder, or
    found in ./node_modules or the cache when True); None: with it when DuckDB-Wasm is found."""
    out.mkdir(parents=True, exist_ok=True)
    db = out / "reportgen.duckdb"
    result = ingest(db, example_files(), run=EXAMPLE_RUN)
    yield from result.lines
    for name, base_share, seed in SYNTHETIC_RUNS:
        data = generate(out / "synthetic" / name, items=SYNTHETIC_ITEMS, papers=6, base_share=base_share,
                        seed=seed, name=name)
        ingest(db, [data.csv, data.log, data.jsonl], run=name, synthetic=True)
    yield (f"synthetic runs (made up, labelled as such everywhere): {', '.join(n for n, _, _ in SYNTHETIC_RUNS)}, "
           f"{SYNTHETIC_ITEMS} items each, for the tables the real log cannot fill")
    yield ""
    with store.open_db(db, read_only=True) as con:
        yield stats.text(stats.summary(con, EXAMPLE_RUN))
    yield f"database: {db}  (try: reportgen --db {db} query \"SELECT * FROM papers\")"
    from reportgen import site
    from reportgen.site import duckdb_wasm
    if sql_console is None:
        try:
            sql_console = duckdb_wasm.find()
        except site.SiteError:
            sql_console = False
    built = site.build(db, out / "site", sql_console=sql_console)
    search = (f"search works when served: reportgen serve {out / 'site'}" if built.search
              else "no search index: pip install 'reportgen[site]' for Pagefind")
    yield f"site: {out / 'site' / 'index.html'} ({built.pages} pages; {search})"
    if built.sql_console:
        yield f"SQL console: {out / 'site' / 'sql.html'} (DuckDB-Wasm in the browser; it runs when served)"
    else:
        yield (f"no SQL console: fetch DuckDB-Wasm with '{duckdb_wasm.npm_command()}', then "
               f"'reportgen --db {db} build --out {out / 'site'} --sql-console'")
