"""Items CSV: one row per question, column names detected from common spellings."""

from __future__ import annotations

import csv
import os
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from reportgen import store
from reportgen.errors import InputError, UsageError
from reportgen.ingest.common import Context, Options, Source
from reportgen.ingest.textfile import check_utf8

NAME = "items-csv"
ORDER = 0

# field -> accepted column spellings (compared after lower-casing and turning spaces
# and hyphens into underscores), most specific first.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "id": ("id", "item_id", "item_key", "key", "question_id", "uid", "comparison_index"),
    "question": ("question", "prompt", "query", "instruction", "input"),
    "paper": ("context", "source", "paper", "source_paper", "paper_title", "title", "document"),
    "reference_answer": ("true_answer", "reference", "reference_answer", "gold", "gold_answer",
                         "expected", "expected_answer", "ground_truth", "target", "answer"),
    "base_answer": ("base_model_answer", "base_answer", "base", "base_output", "base_response",
                    "base_model_output", "base_model"),
    "finetuned_answer": ("finetuned_model_answer", "fine_tuned_answer", "finetuned_answer",
                         "fine_tuned_model_answer", "finetune_answer", "finetuned", "fine_tuned",
                         "ft_answer", "finetuned_output", "finetuned_response", "tuned_answer"),
}
REQUIRED = ("question", "paper", "reference_answer", "base_answer", "finetuned_answer")
FIELDS = tuple(SYNONYMS)


def _norm(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def parse_mapping(pairs: tuple[str, ...] | list[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for pair in pairs:
        field, sep, column = pair.partition("=")
        field = _norm(field)
        aliases = {"context": "paper", "reference": "reference_answer", "true_answer": "reference_answer",
                   "base": "base_answer", "finetuned": "finetuned_answer", "fine_tuned": "finetuned_answer"}
        field = aliases.get(field, field)
        if not sep or not column or field not in FIELDS:
            raise UsageError(
                f"--map {pair!r} is not FIELD=COLUMN with FIELD one of {', '.join(FIELDS)}"
            )
        mapping[field] = column
    return mapping


@dataclass
class CsvPlan:
    """What the cheap checks learned about an items CSV before the database is touched."""
    columns: dict[str, str]      # field -> column of the file
    names: list[str]             # per header column: the field it feeds, or a placeholder
    has_ids: bool
    reader: str                  # "duckdb", or "copy" for files DuckDB's sniffer refuses (read through a copy)


def detect(path: Path, head: str) -> bool:
    """What no other format claims is read as an items CSV, except a .log file."""
    if path.suffix.lower() == ".log":
        raise InputError(
            "does not start like a judge log ('Loaded N finetune entries…' or 'Winner: …') or a "
            "verdict JSONL ('{…}'); pass --as FORMAT if it is one", path=path, line=1,
        )
    return True


def check(path: Path, options: Options | None = None) -> CsvPlan:
    """Header and columns: what can be checked without reading the rows (DuckDB's reader
    refuses bad bytes in them; _diagnose then names the line)."""
    header = _header(path)
    columns = _resolve_columns(path, header, (options.mapping if options else None) or {})
    by_column = {col: field for field, col in columns.items()}
    names = [by_column.get(col, f"_column_{i + 1}") for i, col in enumerate(header)]
    scratch = duckdb.connect()
    try:
        store.run(scratch, "ingest/sniff_items_csv", path=str(path), names=names)
        reader = "duckdb"
    except duckdb.Error:
        line, problem = _diagnose(path, len(names))
        if problem:
            raise InputError(problem, path=path, line=line) from None
        reader = "copy"  # e.g. mixed CRLF/LF line endings: valid, but DuckDB's sniffer gives up
    finally:
        scratch.close()
    return CsvPlan(columns, names, "id" in columns, reader)


def write(ctx: Context, src: Source) -> list[str]:
    plan: CsvPlan = src.plan
    if plan.reader == "duckdb":
        return _write(ctx, src, src.path)
    # DuckDB's reader gave up on the file's layout (e.g. mixed CRLF/LF line endings), which Python's
    # csv module read whole in check (_diagnose): its rows go through a copy DuckDB reads, in order.
    fd, copy = tempfile.mkstemp(suffix=".csv", prefix="reportgen-items-")  # the system's: a killed ingest leaves it there
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            _copy_rows(src.path, out)
        return _write(ctx, src, Path(copy))
    finally:
        os.unlink(copy)


def _copy_rows(path: Path, out) -> None:
    """The rows of ``path`` as a CSV with one kind of line ending, without its empty lines (DuckDB's
    reader skips them; polars, which made this copy before, read one as a row of empty fields)."""
    # CRLF rows: the writer then quotes a field with a CR of its own too, which DuckDB would read as a line break
    writer = csv.writer(out, lineterminator="\r\n")
    with open(path, encoding="utf-8-sig", newline="") as fh:
        try:
            writer.writerows(row for row in _reader(fh, strict=True) if row)
        except csv.Error as exc:  # check() read this file without an error: it changed since
            raise InputError(f"is not a CSV file reportgen can read ({exc}); check its quoting",
                             path=path) from None


def _write(ctx: Context, src: Source, csv_path: Path) -> list[str]:
    """Check the rows of the CSV at ``csv_path`` (``src``'s file or a copy) in one pass that writes
    nothing to the database file (``check_items_csv``), then read them into items: a refused file
    leaves the database as it was. Errors name the lines of ``src``'s own file."""
    con, plan, path = ctx.con, src.plan, src.path
    params = {"path": str(csv_path), "names": plan.names, "has_id": plan.has_ids}
    try:
        store.run(con, "ingest/check_items_csv", **params)
    except duckdb.OutOfMemoryException:
        raise  # the budget, not the file (errors.user_error says so)
    except duckdb.Error as exc:
        line, problem = _diagnose(path, len(plan.names))
        raise InputError(problem or f"is not a CSV file DuckDB can read ({str(exc).splitlines()[0]}); "
                         "check its delimiter (a comma) and quoting", path=path, line=line) from None
    rows = store.scalar(con, "ingest/staged_count")
    if rows == 0:
        # DuckDB's strict reader reads no rows at all, and no error, when the last of up to 2047 rows has
        # more fields than the header: a file with rows is diagnosed before it is called header-only
        line, problem = _diagnose(path, len(plan.names))
        if problem:
            raise InputError(problem, path=path, line=line)
        raise InputError("has a header but no rows; add one row per question", path=path, line=2)
    blank = store.run(con, "ingest/staged_first_blank")
    if blank:
        field, position = blank[0]
        raise InputError(
            f"column {plan.columns[field]!r} is empty in data row {position + 1}; fill it in or remove the row",
            path=path, line=row_line(path, position),
        )
    dup = store.run(con, "ingest/staged_first_duplicate")
    if dup:
        key, first, second = dup[0]
        what = f"id {key!r}" if plan.has_ids else "question (for the same paper)"
        raise InputError(
            f"the {what} of data row {second + 1} repeats data row {first + 1} (line {row_line(path, first)}); "
            "give each row a unique " + ("id" if plan.has_ids else "question, or add an id column"),
            path=path, line=row_line(path, second),
        )
    clash = store.run(con, "ingest/staged_first_clash", run_id=ctx.run_id)
    if clash:
        key, position = clash[0]
        raise InputError(
            f"item {key!r} is already in the run (from an earlier file); use --replace to redo the run or "
            "--run NAME for a new one", path=path, line=row_line(path, position),
        )
    cols = ", ".join(f"{f}={c}" for f, c in plan.columns.items())
    summary = [f"items CSV, {rows} rows (columns: {cols})"]
    store.run(con, "ingest/insert_csv_items", run_id=ctx.run_id, source_id=ctx.record_source(src, summary), **params)
    ctx.items_written = True
    return summary


def _header(path: Path) -> list[str]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        try:
            row = next(_reader(fh), None)
        except UnicodeDecodeError:
            check_utf8(path)  # raises, naming the line of the first bad byte
            raise
        except csv.Error as exc:
            raise InputError(f"the header row cannot be read ({exc}); fix the first line", path=path, line=1) from None
    if not row or not any(c.strip() for c in row):
        raise InputError("the first line must be a header row of column names", path=path, line=1)
    seen: dict[str, int] = {}
    for i, name in enumerate(row):
        key = _norm(name)
        if key in seen:
            raise InputError(
                f"column {name!r} appears twice in the header (columns {seen[key] + 1} and {i + 1}); "
                "rename one", path=path, line=1,
            )
        seen[key] = i
    return row


def _resolve_columns(path: Path, header: list[str], mapping: dict[str, str]) -> dict[str, str]:
    by_norm = {_norm(h): h for h in header}
    columns: dict[str, str] = {}
    for field, column in mapping.items():
        if column not in header and _norm(column) not in by_norm:
            raise UsageError(f"--map {field}={column}: {path} has no column {column!r} "
                             f"(its columns: {', '.join(header)})")
        columns[field] = column if column in header else by_norm[_norm(column)]
    used = set(columns.values())
    for field, spellings in SYNONYMS.items():
        if field in columns:
            continue
        for spelling in spellings:
            col = by_norm.get(spelling)
            if col is not None and col not in used:
                columns[field] = col
                used.add(col)
                break
    missing = [f for f in REQUIRED if f not in columns]
    if missing:
        hints = ", ".join(f"{f} (e.g. {'/'.join(SYNONYMS[f][:3])})" for f in missing)
        raise InputError(
            f"no column for {hints} among the header's columns {', '.join(header)}; rename the columns "
            "or pass --map FIELD=COLUMN", path=path, line=1,
        )
    return columns


def _reader(fh, **options):
    """csv.reader for a file of answers: the csv module's limit on a field (128 KiB) lifted."""
    csv.field_size_limit(sys.maxsize)
    return csv.reader(fh, **options)


def row_line(path: Path, position: int) -> int | None:
    """Line on which data row ``position`` (0-based) starts; quoted fields may span lines, and an
    empty line is no row (DuckDB's reader skips it)."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = _reader(fh)
        try:
            next(reader, None)
            start = reader.line_num + 1
            i = 0
            for row in reader:
                if row:
                    if i == position:
                        return start
                    i += 1
                start = reader.line_num + 1
        except csv.Error:
            return None
    return None


MAX_ROW_BYTES = 2_000_000  # DuckDB's default max_line_size


def _diagnose(path: Path, width: int) -> tuple[int | None, str | None]:
    """Find the line and reason of a CSV that DuckDB refused (used on errors only)."""
    check_utf8(path)
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = _reader(fh, strict=True)
        header: list[str] = []
        start = 1
        try:
            for row in reader:
                if reader.line_num == 1 or not header:
                    header = row
                elif len(row) != width and row:
                    return start, (f"this row has {len(row)} fields but the header has {width}; "
                                   "quote fields that contain commas or fix the row")
                size = sum(len(c.encode("utf-8")) for c in row)
                if size > MAX_ROW_BYTES and header is not row:
                    longest = max(range(len(row)), key=lambda i: len(row[i]))
                    return start, (f"this row is {size / 2**20:.1f} MB long and DuckDB reads rows of up to "
                                   f"{MAX_ROW_BYTES / 1e6:.0f} MB; shorten its column {header[longest]!r} "
                                   f"({len(row[longest].encode('utf-8')) / 2**20:.1f} MB)")
                start = reader.line_num + 1
        except csv.Error as exc:
            if "EOF" in str(exc) or "end of data" in str(exc):
                return start, ("a quoted field opened here is never closed; add the closing "
                               "double quote")
            return reader.line_num, f"malformed CSV ({exc}); fix the quoting on this line"
    return None, None
