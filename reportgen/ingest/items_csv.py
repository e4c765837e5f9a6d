"""Items CSV: one row per question, column names detected from common spellings."""

from __future__ import annotations

import csv
import hashlib
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from reportgen import store
from reportgen.errors import InputError, UsageError
from reportgen.ingest.textfile import check_utf8

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


def item_key(question: str, paper: str) -> str:
    """Stable key for an item without an id: the same text gives the same key in a CSV and a log."""
    digest = hashlib.sha256(f"{normalize_text(paper)}\x1f{normalize_text(question)}".encode()).hexdigest()
    return digest[:16]


def normalize_text(text: str) -> str:
    return " ".join(text.split()).casefold()


@dataclass
class ItemsCsv:
    frame: pl.DataFrame          # columns: item_key, position, question, paper, answers..., source_line
    columns: dict[str, str]      # field -> column used
    has_ids: bool


def read(path: Path, mapping: dict[str, str] | None = None) -> ItemsCsv:
    check_utf8(path)
    header = _header(path)
    columns = _resolve_columns(path, header, mapping or {})
    con = duckdb.connect()
    try:
        frame = store.frame(con, "ingest/read_items_csv", path=str(path))
    except duckdb.Error as exc:
        line, problem = _diagnose(path, len(header))
        if problem:
            raise InputError(problem, path=path, line=line) from None
        # DuckDB's dialect sniffer refuses some valid files (mixed CRLF/LF endings): polars reads them
        try:
            frame = pl.read_csv(path, infer_schema=False, encoding="utf8")
        except Exception:
            raise InputError(f"is not a CSV file DuckDB or polars can read ({str(exc).splitlines()[0]}); "
                             "check its delimiter (a comma) and quoting", path=path) from None
    finally:
        con.close()
    if frame.height == 0:
        raise InputError("has a header but no rows; add one row per question", path=path, line=2)

    picked = {field: frame.get_column(col).fill_null("") for field, col in columns.items()}
    out = pl.DataFrame({f: s.str.replace_all("\r\n", "\n", literal=True) for f, s in picked.items()})
    # source_line stays NULL: finding where each row starts costs a pass of Python's csv module,
    # so line numbers are worked out only for the row an error message names.
    out = out.with_columns(pl.Series("position", range(out.height), dtype=pl.Int32),
                           pl.lit(None, dtype=pl.Int32).alias("source_line"))
    _check_rows(path, out, columns)
    if "id" in columns:
        out = out.with_columns(pl.col("id").str.strip_chars().alias("item_key")).drop("id")
    else:
        keys = [item_key(q, p) for q, p in zip(out["question"].to_list(), out["paper"].to_list())]
        out = out.with_columns(pl.Series("item_key", keys, dtype=pl.String))
    _check_duplicates(path, out, "id" in columns)
    return ItemsCsv(out, columns, "id" in columns)


def _header(path: Path) -> list[str]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        try:
            row = next(csv.reader(fh), None)
        except (csv.Error, UnicodeDecodeError) as exc:
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


def row_line(path: Path, position: int) -> int | None:
    """Line on which data row ``position`` (0-based) starts; quoted fields may span lines."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        try:
            next(reader, None)
            start = reader.line_num + 1
            for i, _ in enumerate(reader):
                if i == position:
                    return start
                start = reader.line_num + 1
        except csv.Error:
            return None
    return None


MAX_ROW_BYTES = 2_000_000  # DuckDB's default max_line_size


def _diagnose(path: Path, width: int) -> tuple[int | None, str | None]:
    """Find the line and reason of a CSV that DuckDB refused (used on errors only)."""
    csv.field_size_limit(sys.maxsize)
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, strict=True)
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


def _check_rows(path: Path, frame: pl.DataFrame, columns: dict[str, str]) -> None:
    for field in REQUIRED:
        blank = frame.filter(pl.col(field).str.strip_chars() == "")
        if blank.height:
            row = blank.row(0, named=True)
            raise InputError(
                f"column {columns[field]!r} is empty in data row {row['position'] + 1}; fill it in or "
                "remove the row", path=path, line=row_line(path, row["position"]),
            )


def _check_duplicates(path: Path, frame: pl.DataFrame, has_ids: bool) -> None:
    dup = frame.filter(pl.col("item_key").is_duplicated()).sort("position")
    if dup.height:
        first, second = dup.row(0, named=True), dup.filter(
            pl.col("item_key") == dup.row(0, named=True)["item_key"]).row(1, named=True)
        what = (f"id {first['item_key']!r}" if has_ids else "question (for the same paper)")
        raise InputError(
            f"the {what} of data row {second['position'] + 1} repeats data row {first['position'] + 1} "
            f"(line {row_line(path, first['position'])}); give each row a unique "
            + ("id" if has_ids else "question, or add an id column"),
            path=path, line=row_line(path, second["position"]),
        )
