"""What every input format shares: the source file being read, the open ingest (connection,
run, options) it writes into, and the few writes all formats make (the source's record,
staged verdicts and per-order rows).

An input format is a module with the same small interface::

    NAME = "judge-log"            # what --as takes
    ORDER = 1                     # files of a lower ORDER are written first in one ingest
    def detect(path, head) -> bool   # the file's first bytes (decoded) say it is this format
    def check(path, options)         # what can be checked before the database is opened
    def write(ctx, src) -> list[str] # write into the open transaction; return summary lines

``reportgen.ingest.FORMATS`` lists them in detection order."""

from __future__ import annotations

import hashlib
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from reportgen import store
from reportgen.errors import InputError
from reportgen.ingest.textfile import iter_lines


@dataclass
class Options:
    """What the user said about the files (``reportgen ingest`` options)."""
    mapping: dict[str, str] | None = None   # items CSV: field -> column
    base: str | None = None                 # field formats: the model that plays the base/baseline
    model: str | None = None                # MT-bench files of many models: the one compared with the base
    category: str | None = None             # Arena-Hard v2 files of several categories: the one to read
    replace: bool = False
    synthetic: bool = False


@dataclass
class Source:
    path: Path
    format: str
    sha256: str
    bytes: int
    plan: object = None          # what the format's check() returned


@dataclass
class Context:
    """An ingest in progress: its connection (inside the transaction), run and options."""
    con: duckdb.DuckDBPyConnection
    run_id: int
    run_name: str
    options: Options
    # Companion files (questions, answers) staged for the judgments read after them
    staged: dict[str, object] = field(default_factory=dict)
    items_written: bool = False  # whether a file added items (their text digests are then recomputed)

    def record_source(self, src: Source, summary: list[str]) -> int:
        return store.scalar(self.con, "ingest/insert_source", run_id=self.run_id, path=str(src.path),
                            format=src.format, sha256=src.sha256, bytes=src.bytes, summary="; ".join(summary))

    def insert(self, query: str, view: str, frame: pl.DataFrame, *, path: Path, **params) -> None:
        """Run ``query`` over ``frame`` registered as ``view``; a key clash becomes a one-line error."""
        self.con.register(view, frame.to_arrow())
        try:
            store.run(self.con, query, run_id=self.run_id, **params)
        except duckdb.ConstraintException as exc:
            raise InputError(f"conflicts with data already in the run ({str(exc).splitlines()[0]}); "
                             "use --replace to redo the run or --run NAME for a new one", path=path) from None
        finally:
            self.con.unregister(view)

    def verdict_count(self, judge: str) -> int:
        return store.scalar(self.con, "ingest/judge_verdict_count", run_id=self.run_id, judge=judge)

    def item_keys(self) -> set[str]:
        return set(store.frame(self.con, "ingest/run_item_keys", run_id=self.run_id)["item_key"].to_list())


VERDICT_SCHEMA = {
    "judge": pl.String, "seq": pl.Int32, "item_key": pl.String, "winner": pl.String, "confidence": pl.Float64,
    "p_finetuned": pl.Float64, "rationale": pl.String, "matched_by": pl.String, "source_line": pl.Int32,
}
ORDER_SCHEMA = {
    "judge": pl.String, "item_key": pl.String, "ord": pl.Int8, "first_answer": pl.String, "p_first": pl.Float64,
    "outcome": pl.String, "weight": pl.Int8, "label": pl.String, "rationale": pl.String,
}
ITEM_SCHEMA = {
    "item_key": pl.String, "position": pl.Int32, "question": pl.String, "paper": pl.String,
    "reference_answer": pl.String, "base_answer": pl.String, "finetuned_answer": pl.String, "source_line": pl.Int32,
}


def write_items(ctx: Context, src: Source, rows: list[dict], source_id: int) -> None:
    ctx.insert("ingest/insert_items", "staged_items", pl.DataFrame(rows, schema=ITEM_SCHEMA),
               path=src.path, source_id=source_id)
    ctx.items_written = True


def write_verdicts(ctx: Context, src: Source, rows: list[dict], source_id: int) -> None:
    ctx.insert("ingest/insert_verdicts", "staged_verdicts", pl.DataFrame(rows, schema=VERDICT_SCHEMA),
               path=src.path, source_id=source_id)


def write_orders(ctx: Context, src: Source, rows: list[dict]) -> None:
    if rows:
        ctx.insert("ingest/insert_orders", "staged_orders", pl.DataFrame(rows, schema=ORDER_SCHEMA), path=src.path)


def write_judgments(ctx: Context, src: Source, summary: list[str], *, items: list[dict], verdicts: list[dict],
                    orders: list[dict] | None = None, base: str, finetuned: str, group: str | None) -> list[str]:
    """What a benchmark's judgment file writes: its source record, items, verdicts, per-order rows
    and the two models' names; returns the summary."""
    source_id = ctx.record_source(src, summary)
    write_items(ctx, src, items, source_id)
    write_verdicts(ctx, src, verdicts, source_id)
    write_orders(ctx, src, orders or [])
    set_models(ctx, base=base, finetuned=finetuned, group=group)
    return summary


def set_models(ctx: Context, *, base: str | None, finetuned: str | None, group: str | None) -> None:
    """Name the run's two models (as the data names them) and what its items' groups are."""
    store.run(ctx.con, "ingest/set_run_models", run_id=ctx.run_id, base=base, finetuned=finetuned, group_label=group)


def slug(text: str) -> str:
    return re.sub(r"[^\w.-]+", "-", text).strip("-") or "run"


def read_text(path: Path) -> str:
    """The whole file as text (a BOM dropped); bad UTF-8 is reported with its line."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError("is not UTF-8 text (a byte that UTF-8 does not allow); re-save it as UTF-8",
                         path=path, line=line) from None


def json_array(path: Path, what: str) -> list[tuple[int, object]]:
    """The elements of a file holding one JSON array, each with the line it starts on."""
    text = read_text(path)
    ws = re.compile(r"\s*")
    i = ws.match(text, 0).end()
    if not text.startswith("[", i):
        raise InputError(f"must hold one JSON array of {what}", path=path, line=text.count("\n", 0, i) + 1)
    out: list[tuple[int, object]] = []
    line, last = 1, 0
    i = ws.match(text, i + 1).end()
    if text.startswith("]", i):
        return out
    while True:
        line += text.count("\n", last, i)
        last = i
        try:
            obj, i = parse_json(text, path, line, i)
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON ({_syntax(exc)}) in the array of {what}; fix it",
                             path=path, line=exc.lineno) from None
        out.append((line, obj))
        i = ws.match(text, i).end()
        if text.startswith("]", i):
            break
        if not text.startswith(",", i):
            raise InputError("invalid JSON (expected ',' or ']' after an element)", path=path,
                             line=text.count("\n", 0, i) + 1)
        i = ws.match(text, i + 1).end()
    if text[i + 1:].strip():
        raise InputError("holds text after the closing ']' of its JSON array; remove it", path=path,
                         line=text.count("\n", 0, i) + 1)
    return out


def json_lines(path: Path, example: str) -> list[tuple[int, dict]]:
    """The objects of a JSON Lines file, each with its line; blank lines are skipped. ``example``
    shows what one line looks like, for the errors."""
    out: list[tuple[int, dict]] = []
    for lineno, text in iter_lines(path):
        if not text.strip():
            continue
        try:
            obj, _ = parse_json(text, path, lineno, whole=True)
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON ({_syntax(exc)}); each line must be one JSON object",
                             path=path, line=lineno) from None
        if not isinstance(obj, dict):
            raise InputError(f"each line must be a JSON object like {example}", path=path, line=lineno)
        out.append((lineno, obj))
    if not out:
        raise InputError(f"holds no JSON objects; add one per line like {example}", path=path)
    return out


class _DuplicateKey(Exception):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    """object_pairs_hook: the object as a dict, or _DuplicateKey for a key it holds twice (json's
    default keeps the last one silently)."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return obj


_DECODER = json.JSONDecoder(object_pairs_hook=_unique_keys)
# A \uXXXX escape of half a UTF-16 surrogate pair: json decodes a lone one to a str that cannot be
# encoded (UnicodeEncodeError later, far from the file); a whole pair decodes to one character.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")


def parse_json(text: str, path: Path, line: int, start: int = 0, *, whole: bool = False) -> tuple[object, int]:
    """The JSON value that starts at ``start`` of ``text``, and the index after it; with ``whole``,
    ``text`` is one JSON document (as json.loads). A syntax error is raised as json.JSONDecodeError
    for the caller to word; what parses but cannot be used (a key twice in one object, a lone
    surrogate escape, an integer beyond Python's 4300 digits, nesting past the recursion limit)
    becomes an InputError naming ``line``. The strings are searched for lone surrogates only when
    the raw text holds such an escape."""
    try:
        if whole:
            if text.startswith("\ufeff"):  # as json.loads says it
                raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
            obj, end = _DECODER.decode(text), len(text)
        else:
            obj, end = _DECODER.raw_decode(text, start)
    except json.JSONDecodeError:
        raise
    except _DuplicateKey as exc:
        raise InputError(f"key {_clip(exc.key)!r} appears twice; keep one", path=path, line=line) from None
    except RecursionError:
        raise InputError("nests JSON arrays or objects too deeply to read; flatten the structure",
                         path=path, line=line) from None
    except ValueError:  # int("…") past sys.get_int_max_str_digits()
        raise InputError(f"holds an integer of more than {sys.get_int_max_str_digits()} digits, too long to "
                         "read; shorten it", path=path, line=line) from None
    if _SURROGATE_ESCAPE.search(text, start, end) and (bad := _lone_surrogate(obj)) is not None:
        raise InputError(f"holds the escape \\u{ord(bad):04x}, half of a UTF-16 surrogate pair, which is not a "
                         "character; fix the text", path=path, line=line)
    return obj, end


def _lone_surrogate(obj: object) -> str | None:
    """The first lone surrogate in the strings (keys too) of a parsed JSON value, or None."""
    stack = [obj]  # not recursive: the value may nest almost as deep as the recursion limit
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if m := _SURROGATE.search(value):
                return m.group()
        elif isinstance(value, dict):
            for key, item in reversed(value.items()):
                stack += (item, key)
        elif isinstance(value, list):
            stack.extend(reversed(value))
    return None


def _syntax(exc: json.JSONDecodeError) -> str:
    """json's message with its column ("Unterminated string starting at" ends in "at" already)."""
    return f"{exc.msg.removesuffix(' at')} at column {exc.colno}"


def _clip(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def first_json_object(head: str) -> dict | None:
    """The first line of a JSON Lines head parsed, when it is a complete JSON object."""
    first = head.lstrip("\ufeff").lstrip().split("\n", 1)[0]
    try:
        obj = json.loads(first)
    except (ValueError, RecursionError):  # also an integer past 4300 digits, or nesting too deep
        return None
    return obj if isinstance(obj, dict) else None


def require(obj: dict, keys: tuple[str, ...], path: Path, line: int, what: str) -> None:
    missing = [k for k in keys if k not in obj]
    if missing:
        raise InputError(f"the {what} has no {', '.join(repr(k) for k in missing)}; is this the right file?",
                         path=path, line=line)


def item_key(*parts: str) -> str:
    """A stable short key from an item's identifying text (same text, same key, in every run)."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]
