"""Ingest benchmark: `reportgen ingest` of an items CSV + judge log against a bare baseline
measured in the same run: DuckDB's read_csv of the same CSV into a fresh database file, plus
a bare line scan of the log. Prints medians, the ratio, and peak RSS of a full ingest.

A second baseline does the same with the row groups reportgen writes (store.ROW_GROUP_SIZE
rows, an ATTACH option) instead of DuckDB's default: part of what reportgen gained from that
setting the bare read gains too, and the second ratio says how much.

    python bench/ingest.py             # 2,000 items, quick
    python bench/ingest.py --full      # 10k, 100k and 1M items (1M writes ~10 GB of data)
    python bench/ingest.py --sizes 10000 100000 --repeat 3 --rss
    python bench/ingest.py --sizes 1000000 --repeat 1 --rss    # ~10 GB of data, several minutes
    REPORTGEN_MEMORY_LIMIT=8GB python bench/ingest.py --rss    # another DuckDB memory budget than the default

Peak RSS is /usr/bin/time -v's "Maximum resident set size" of a `reportgen ingest` child process.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from _common import ROOT, dataset, load, machine, median, peak_rss_mib, timed

import duckdb

from reportgen import store
from reportgen.ingest import ingest

BARE_SQL = (ROOT / "bench" / "bare_read_csv.sql").read_text(encoding="utf-8")


def bare(csv: Path, log: Path, tmp: Path, row_groups: bool = False) -> None:
    db = tmp / "bare.duckdb"
    db.unlink(missing_ok=True)
    if row_groups:
        con = duckdb.connect()
        con.execute(f"ATTACH '{db}' AS bare (ROW_GROUP_SIZE {store.ROW_GROUP_SIZE}); USE bare")
    else:
        con = duckdb.connect(str(db))
    con.execute(BARE_SQL, {"path": str(csv)})
    con.close()
    with open(log, "rb") as fh:
        for _ in fh:
            pass


def ours(csv: Path, log: Path, tmp: Path) -> None:
    db = tmp / "ours.duckdb"
    db.unlink(missing_ok=True)
    ingest(db, [csv, log], run="bench")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[2000])
    ap.add_argument("--full", action="store_true", help="10k, 100k and 1M items")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--rss", action="store_true", help="also measure peak RSS of a full ingest (a subprocess)")
    args = ap.parse_args()
    sizes = [10_000, 100_000, 1_000_000] if args.full else args.sizes
    print(f"machine: {machine()}")
    print(f"{'items':>9}  {'bare s':>8}  {'reportgen s':>11}  {'ratio':>6}  {'bare, same row groups s':>23}  "
          f"{'ratio':>6}  {'peak RSS MiB':>12}  {'load':>9}  data")
    for n in sizes:
        data = dataset(n)
        size_mb = (data.csv.stat().st_size + data.log.stat().st_size) / 2**20
        before = load()
        with tempfile.TemporaryDirectory(dir=ROOT / "bench" / ".data") as t:
            tmp = Path(t)
            bs, rs, os_ = [], [], []
            for _ in range(args.repeat):  # alternated, so a change in the machine's load hits every side
                bs += timed(lambda: bare(data.csv, data.log, tmp), 1)
                os_ += timed(lambda: ours(data.csv, data.log, tmp), 1)
                rs += timed(lambda: bare(data.csv, data.log, tmp, row_groups=True), 1)
            b, r, o = median(bs), median(rs), median(os_)
            rss = ""
            if args.rss or args.full:
                db = tmp / "rss.duckdb"
                rss = f"{peak_rss_mib([sys.executable, '-m', 'reportgen', '--db', str(db), 'ingest', str(data.csv), str(data.log), '--run', 'bench']):.0f}"
        print(f"{n:>9,}  {b:>8.2f}  {o:>11.2f}  {o / b:>5.2f}x  {r:>23.2f}  {o / r:>5.2f}x  {rss:>12}  "
              f"{before:>4}-{load():>4}  "
              f"{size_mb:,.0f} MB CSV+log", flush=True)


if __name__ == "__main__":
    main()
