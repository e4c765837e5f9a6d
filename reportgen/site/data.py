"""The tables behind the site: every report (``sql/report/``), the runs and their source files,
read once for the pages and published as ``data/<name>.csv`` and ``data/<name>.parquet``."""

from __future__ import annotations

import functools
import hashlib
import io
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import duckdb
import polars as pl

from reportgen import report, store
from reportgen.output import render, write_csv

# The order the pages list the tables in, headline numbers first. Which reports there are comes
# from sql/report/ (report.names()); one not named here is listed after these, by name.
LISTING_ORDER = ("overall", "papers", "categories", "paper_categories", "transcripts", "reliability",
                 "judge_agreement", "judge_disagreements", "paired_comparison", "mt_bench_scores")


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
# data/transcripts/ is written in parts (sql/site/transcript_parts.sql): as many as keep a part's answers under
# PART_CHARS characters on average (a power of two), at most MAX_PARTS. A changed verdict writes one part again, and
# no file comes near the 100 MB that GitHub refuses in a push (50 MB draw a warning) until some 12 GB of answers.
PART_CHARS = 4 * 2**20
MAX_PARTS = 256  # the part is a byte of an MD5 (sql/site/transcript_parts.sql): 256 at most
TRANSCRIPTS_PAGE = "data/transcripts"  # the page listing the parts


@functools.cache
def writer_stamp() -> str:
    """A digest of this module, which writes the parts of ``data/transcripts/``: a part is kept only
    while it is what this code would write (the SQL it reads with is in ``incremental.code_stamp``)."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


def transcript_parts(con: duckdb.DuckDBPyConnection, run: str | None) -> int:
    """How many parts ``data/transcripts/`` is written in for ``run`` (every run when None)."""
    found = store.frame(con, "site/transcript_parts", run=run, part_chars=PART_CHARS, max_parts=MAX_PARTS)
    return int(found["parts"][0])


@dataclass(frozen=True)
class Parts:
    """The parts of ``data/transcripts/``: a digest of each, by part number (a part is written again
    only when its digest changed), and the part of every item with a base win."""
    digests: list[str]
    items: pl.DataFrame  # item_key, part

    def keys(self, wanted: Iterable[int]) -> list[str]:
        """The keys of the items in the parts ``wanted``."""
        found = self.items.filter(pl.col("part").is_in(list(wanted)))
        return found["item_key"].unique(maintain_order=True).to_list()


def parts_of(listed: pl.DataFrame, parts: int) -> Parts:
    """The ``parts`` parts of ``data/transcripts/`` from the transcript list (``sql/site/transcript_list.sql``:
    one row per item with a base win, whose digests cover its rows of the transcripts report). A part
    without rows has the digest of nothing. (Python's MD5 of 10k keys takes a fifth of DuckDB's.)"""
    part = pl.Series([part_of(key, parts) for key in listed["item_key"].to_list()], dtype=pl.Int64)
    lines = (listed.select(part=part,
                           line=pl.concat_str([pl.col("run"), pl.col("item_key"), pl.col("digest"),
                                               pl.col("input_digest").cast(pl.String)], separator="\x1f"))
             .sort("part", "line"))
    by_part = {part: "\n".join(group["line"]) for (part,), group in lines.partition_by("part", as_dict=True).items()}
    digests = [hashlib.sha256(by_part.get(k, "").encode("utf-8", "surrogatepass")).hexdigest() for k in range(parts)]
    return Parts(digests, listed.select("item_key", part=part))


def part_stems(parts: int) -> list[str]:
    """The path of each part of ``data/transcripts/`` without extension, by part number:
    ``data/transcripts/part-07-of-16``."""
    width = len(str(parts - 1))
    return [f"{TRANSCRIPTS_PAGE}/part-{k:0{width}d}-of-{parts}" for k in range(parts)]


def part_of(key: str, parts: int) -> int:
    """The part of ``data/transcripts/`` an item is in: the first byte of its key's MD5, modulo ``parts``
    (in SQL: ``CAST(md5_number(item_key) & 255 AS INTEGER) % parts``)."""
    return hashlib.md5(key.encode("utf-8", "surrogatepass")).digest()[0] % parts


def write_transcripts(con: duckdb.DuckDBPyConnection, run: str | None, parts: int, wanted: Iterable[int],
                      open_part: Callable[[int], AbstractContextManager[tuple[BinaryIO, BinaryIO]]],
                      keys: Iterable[str] | None = None) -> None:
    """The parts ``wanted`` of ``data/transcripts/`` (of ``parts``), each a CSV and a Parquet file that
    ``open_part(k)`` opens: the rows of the transcripts report of ``run`` (every run when None) whose
    item is in part k, in the report's order; a part without rows gets the header and an empty table.
    ``keys``: the item keys of the parts wanted (``Parts.keys``), by which only their rows are read;
    without them every row is read. Rows of parts not wanted are skipped either way.
    Written BATCH rows at a time, since they hold every base-win transcript's text, which need not fit
    in memory: the rows are read in order without their text, and each batch's text by row id (DuckDB
    cannot spill a sort of all that text to disk). Each part's CSV has the bytes ``data_files`` makes
    of the same rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq  # here, not at the top: a rebuild that keeps these files need not import it

    order_set = set(wanted)
    order = sorted(order_set)
    if not order:
        return
    rows = store.batches(con, "site/transcript_rows", BATCH, run=run, parts=parts, keys=keys)
    # (not ``schema.empty_table()``: that imports pandas, 0.1 s of a rebuild in a new process)
    empty = pl.from_arrow(pa.Table.from_batches([], schema=rows.schema))

    def by_part():
        """(part, rows without text) for every wanted part in order, as DuckDB's batches cut them; a
        part without rows once, with none."""
        todo = iter(order)
        k, seen = next(todo), False
        for batch in rows:
            for (part,), found in pl.from_arrow(batch).partition_by("part", as_dict=True, maintain_order=True).items():
                if part not in order_set:
                    continue
                while k != part:
                    if not seen:
                        yield k, empty
                    k, seen = next(todo), False
                yield k, found
                seen = True
        while k is not None:
            if not seen:
                yield k, empty
            k, seen = next(todo, None), False

    def chunks():
        """``by_part`` cut again into BATCH rows from the start of each part (and what is left at its
        end): each chunk is a row group of the part's Parquet file, so a part written on its own (a
        rebuild reads only the parts it writes) has the bytes it has when every part is written."""
        held, part = [], None
        for k, found in by_part():
            if k != part and held:
                yield part, pl.concat(held)
                held = []
            part = k
            held.append(found)
            size = sum(f.height for f in held)
            if size >= BATCH:
                rest = pl.concat(held)
                for start in range(0, size - size % BATCH, BATCH):
                    yield part, rest.slice(start, BATCH)
                held = [rest.slice(size - size % BATCH)] if size % BATCH else []
            elif found.height == 0:
                yield part, pl.concat(held)  # a part without rows
                held = []
        if held:
            yield part, pl.concat(held)

    text_con = con.cursor()  # the rows stay open on ``con`` while each batch's text is read
    # Each batch's Parquet is compressed and written in a thread while the next batch is read and
    # written as CSV (pyarrow and polars leave the interpreter while they work): two batches at most.
    # (The part's files close after the thread is done, when a write fails too.)
    with ExitStack() as files, ThreadPoolExecutor(1, thread_name_prefix="reportgen-parquet") as parquet:
        current = writer = pending = csv_file = None

        def finish_part() -> None:
            if pending is not None:
                pending.result()
            if writer is not None:
                writer.close()
            files.close()

        try:
            for part, chunk in chunks():
                if part != current:
                    finish_part()
                    current, writer, pending = part, None, None
                    csv_file, parquet_file = files.enter_context(open_part(part))
                text = [store.frame(text_con, f"site/transcript_{table}_text", rows=chunk[f"{table}_row"].to_list())
                        .sort("ordinal").drop("ordinal") for table in ("item", "verdict")]
                df = pl.concat([chunk, *text], how="horizontal").select(TRANSCRIPT_COLUMNS)
                write_csv(df, csv_file, header=writer is None)
                table = df.to_arrow()
                if writer is None:
                    writer = pq.ParquetWriter(parquet_file, table.schema, compression="zstd", write_statistics=False)
                if pending is not None:
                    pending.result()
                pending = parquet.submit(writer.write_table, table)
            finish_part()
        finally:
            text_con.close()


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
