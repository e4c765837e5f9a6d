"""Report-query benchmark: every sql/report/*.sql at N items (two judges, 2N verdicts, one judge
with both orders) against a bare join + GROUP BY over the same tables, measured in the same run.
The data is written straight into the tables, then the run's summaries are computed the way an
ingest ends (store.refresh_summaries); that refresh is timed too.

    python bench/queries.py              # 100k items (200k verdicts)
    python bench/queries.py --full       # 1M items (2M verdicts)
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _common import ROOT, machine, median, timed

import duckdb

from reportgen import store
from reportgen.sqlfiles import group

GOAL_MS = 100


def build(db: Path, n: int, papers: int) -> float:
    """Write the benchmark data; return the seconds the summary refresh took."""
    con = store.connect(db)
    try:
        text = (ROOT / "bench" / "make_query_db.sql").read_text(encoding="utf-8")
        for st in duckdb.extract_statements(text):
            params = {k: {"n": n, "papers": papers}[k] for k in st.named_parameters}
            con.execute(st.query, params or None).fetchall()
        t = time.perf_counter()
        with store.transaction(con):
            store.refresh_summaries(con, 1)
        return time.perf_counter() - t
    finally:
        con.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--full", action="store_true", help="1,000,000 items")
    ap.add_argument("--papers", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    n = 1_000_000 if args.full else args.items
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as t:
        db = Path(t) / "q.duckdb"
        refresh = build(db, n, args.papers)
        con = store.connect(db, read_only=True)
        bare_sql = (ROOT / "bench" / "bare_group_by.sql").read_text(encoding="utf-8")
        bare = median(timed(lambda: con.sql(bare_sql).fetchall(), args.repeat)) * 1000
        print(f"{n:,} items, {2 * n:,} verdicts (2 judges), {args.papers} papers; median of {args.repeat}")
        print(f"summary refresh (once per ingest or judged item): {refresh:.2f} s")
        print(f"{'query':<28} {'ms':>8} {'x bare':>7} {'rows':>8}  goal <= {GOAL_MS} ms")
        print(f"{'bare join + GROUP BY':<28} {bare:>8.1f} {1:>6.2f}x")
        for f in group("report"):
            if f.name == "report/transcripts":
                continue  # the site streams this one page by page; it is not a summary query
            rows = store.frame(con, f.name).height
            ms = median(timed(lambda: store.frame(con, f.name), args.repeat)) * 1000
            print(f"{f.name:<28} {ms:>8.1f} {ms / bare:>6.2f}x {rows:>8,}  {'ok' if ms <= GOAL_MS else 'MISS'}",
                  flush=True)
        con.close()


if __name__ == "__main__":
    main()
