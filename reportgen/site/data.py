"""The tables behind the site: every report (``sql/report/``), the runs and their source files,
read once for the pages and published as ``data/<name>.csv`` and ``data/<name>.parquet``."""

from __future__ import annotations

import io
import itertools
from concurrent.futures import ThreadPoolExecutor
from typing import BinaryIO

import duckdb
import polars as pl

from reportgen import report, store
from reportgen.output import render, write_csv

# The order the pages list the tables in, headline numbers first. Which reports there are comes
# from sql/report/ (report.names()); one not named here is listed after these, by name.
LISTING_ORDER = ("overall", "papers", "categories", "paper_categories", "transcripts", "reliability",
                 "judge_agreement", "judge_disagreements", "paired_comparison")


def _reports() -> list[str]:
    published = [n for n in report.names() if n != "run_list"]  # published as "runs"
    rank = {name: i for i, name in enumerate(LISTING_ORDER)}
    return sorted(published, key=lambda n: (rank.get(n, len(rank)), n))


def tables() -> list[str]:
    """The name of every data file, in the order the pages list them."""
    return [*_reports(), "runs", "sources"]


def frames(con: duckdb.DuckDBPyConnection, run: str | None, skip: tuple[str, ...] = ()) -> dict[str, pl.DataFrame]:
    """Every table of ``run`` (of every run when None) but those in ``skip``, by its data file name.
    ``runs`` is the run_list report without its sources column: the sources table says more, without folders."""
    out = {name: report.frame(con, name, run) for name in _reports() if name not in skip}
    out["runs"] = report.frame(con, "run_list", run).drop("sources")
    sources = store.frame(con, "site/sources")
    out["sources"] = sources if run is None else sources.filter(pl.col("run") == run)
    return out


BATCH = 2_000  # rows of the transcripts report (text and all) in memory at once
# The columns of report/transcripts (sql/report/transcripts.sql), in its order.
TRANSCRIPT_COLUMNS = ("run", "judge", "item_key", "seq", "paper", "question", "reference_answer", "base_answer",
                      "finetuned_answer", "confidence", "rationale", "position", "categories", "evidence")


def write_transcripts(con: duckdb.DuckDBPyConnection, run: str | None, csv_file: BinaryIO,
                      parquet_file: BinaryIO) -> None:
    """``data/transcripts.csv`` and ``.parquet``: the transcripts report of ``run`` (every run when
    None), written BATCH rows at a time, since it holds every base-win transcript's text, which need
    not fit in memory. The report's rows are read in order without their text, and each batch's text
    by row id: DuckDB cannot spill a sort of all that text to disk. The same CSV bytes as
    ``data_files`` makes from the whole table."""
    import pyarrow.parquet as pq  # here, not at the top: a rebuild that keeps these files need not import it

    rows = store.batches(con, "site/transcript_rows", BATCH, run=run)
    text_con = con.cursor()  # the rows stay open on ``con`` while each batch's text is read
    writer = None
    # Each batch's Parquet is compressed and written in a thread while the next batch is read and
    # written as CSV (pyarrow and polars leave the interpreter while they work): two batches at most.
    with ThreadPoolExecutor(1, thread_name_prefix="reportgen-parquet") as parquet:
        pending = None
        try:
            for batch in itertools.chain(rows, [rows.schema.empty_table()]):
                keys = pl.from_arrow(batch)
                if writer is not None and keys.height == 0:
                    continue
                text = [store.frame(text_con, f"site/transcript_{table}_text", rows=keys[f"{table}_row"].to_list())
                        .sort("ordinal").drop("ordinal") for table in ("item", "verdict")]
                df = pl.concat([keys, *text], how="horizontal").select(TRANSCRIPT_COLUMNS)
                write_csv(df, csv_file, header=writer is None)
                table = df.to_arrow()
                if writer is None:
                    writer = pq.ParquetWriter(parquet_file, table.schema, compression="zstd", write_statistics=False)
                if pending is not None:
                    pending.result()
                pending = parquet.submit(writer.write_table, table)
            pending.result()
        finally:
            text_con.close()
    writer.close()


def _parquet(df: pl.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.write_parquet(buf, compression="zstd", statistics=False)
    return buf.getvalue()


def data_files(tables_by_name: dict[str, pl.DataFrame]) -> dict[str, bytes]:
    """``data/<name>.csv`` (list cells joined with ``; ``) and ``data/<name>.parquet`` of every table
    in ``tables_by_name``."""
    out: dict[str, bytes] = {}
    for name in tables():
        df = tables_by_name.get(name)
        if df is None:
            continue
        out[f"data/{name}.csv"] = render(df, "csv").encode("utf-8")
        out[f"data/{name}.parquet"] = _parquet(df)
    return out
