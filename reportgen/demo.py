"""``reportgen demo``: the bundled real example, end to end, offline."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from reportgen import stats, store
from reportgen.ingest import ingest
from reportgen.resources import example_dir

EXAMPLE_RUN = "llama31-8b-paper-qa"


def example_files() -> list[Path]:
    d = example_dir()
    return [d / f"{EXAMPLE_RUN}.base-wins.csv", d / f"{EXAMPLE_RUN}.judge.log"]


def run(out: Path) -> Iterator[str]:
    out.mkdir(parents=True, exist_ok=True)
    db = out / "reportgen.duckdb"
    result = ingest(db, example_files(), run=EXAMPLE_RUN)
    yield from result.lines
    yield ""
    with store.open_db(db, read_only=True) as con:
        yield stats.text(stats.summary(con, EXAMPLE_RUN))
    yield f"database: {db}  (try: reportgen --db {db} query \"SELECT * FROM papers\")"
    from reportgen import site
    built = site.build(db, out / "site")
    yield (f"site: {out / 'site' / 'index.html'} ({built.pages} pages{'' if built.search else ', no search index'}; "
           f"with search: reportgen serve {out / 'site'})")
