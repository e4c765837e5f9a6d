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


def run(out: Path) -> Iterator[str]:
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
    built = site.build(db, out / "site")
    search = (f"search works when served: reportgen serve {out / 'site'}" if built.search
              else "no search index: pip install 'reportgen[site]' for Pagefind")
    yield f"site: {out / 'site' / 'index.html'} ({built.pages} pages; {search})"
