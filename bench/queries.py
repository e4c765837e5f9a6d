"""Report-query benchmark: every sql/report/*.sql at N items (two judges, 2N verdicts, one judge
with both orders) against a bare join + GROUP BY over the same tables, measured in the same run.
The data is written straight into the tables, then the run's summaries are computed the way an
ingest ends (store.refresh_summaries); that refresh is timed too.

Each report is timed as a polars DataFrame of all its rows (store.frame, what stats and the site
read), wall and CPU time of this process. A report longer than a page (judge_disagreements lists
every item two judges disagree on: half a million rows at 1M items here) is also timed as its row
count and its first page of 50 rows, through the view `reportgen query` registers: handing half a
million rows to polars is the size of the answer, not the query.

    python bench/queries.py              # 100k items (200k verdicts)
    python bench/queries.py --full       # 1M items (2M verdicts)
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _common import ROOT, load, machine, median, timed

import duckdb

from reportgen import report, store
from reportgen.sqlfiles import group

GOAL_MS = 100
PAGE = 50       # bench/page.sql
LONG = 10_000   # a report with more rows is also timed as its count and its first page


def cpu_timed(fn, repeat: int) -> list[float]:
    """CPU seconds of this process (every thread) per call: what the query costs, whatever the load."""
    times = []
    for _ in range(repeat):
        t = time.process_time()
        fn()
        times.append(time.process_time() - t)
    return times


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
    ap.add_argument("--db", type=Path, help="keep the database here and reuse it when it exists (no refresh timed then)")
    args = ap.parse_args()
    n = 1_000_000 if args.full else args.items
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as t:
        db = args.db or Path(t) / "q.duckdb"
        refresh = None if db.exists() else build(db, n, args.papers)
        con = store.connect(db, read_only=True)
        report.register_views(con)
        page_sql = (ROOT / "bench" / "page.sql").read_text(encoding="utf-8")
        count_sql = (ROOT / "bench" / "count_rows.sql").read_text(encoding="utf-8")
        bare_sql = (ROOT / "bench" / "bare_group_by.sql").read_text(encoding="utf-8")
        bare = median(timed(lambda: con.sql(bare_sql).fetchall(), args.repeat)) * 1000
        print(f"{n:,} items, {2 * n:,} verdicts (2 judges), {args.papers} papers; median of {args.repeat}")
        if refresh is not None:
            print(f"summary refresh (once per ingest or judged item): {refresh:.2f} s")
        print(f"{'query':<34} {'ms':>8} {'cpu ms':>7} {'x bare':>7} {'rows':>8}  goal <= {GOAL_MS} ms  load")
        print(f"{'bare join + GROUP BY':<34} {bare:>8.1f} {'':>7} {1:>6.2f}x")

        def line(label: str, fn, rows: int) -> None:
            ms = median(timed(fn, args.repeat)) * 1000
            cpu = median(cpu_timed(fn, args.repeat)) * 1000
            print(f"{label:<34} {ms:>8.1f} {cpu:>7.1f} {ms / bare:>6.2f}x {rows:>8,}  "
                  f"{'ok' if ms <= GOAL_MS else 'MISS':<14}  {load()}", flush=True)

        for f in group("report"):
            if f.name == "report/transcripts":
                continue  # the site streams this one page by page; it is not a summary query
            rows = store.frame(con, f.name).height
            line(f.name, lambda: store.frame(con, f.name), rows)
            if rows > LONG:
                view = f.short_name
                line(f"  {view}: count(*)", lambda: con.sql(count_sql.replace("{view}", view)).fetchall(), 1)
                line(f"  {view}: first {PAGE} rows", lambda: con.sql(page_sql.replace("{view}", view)).pl(), PAGE)
        con.close()


if __name__ == "__main__":
    main()
