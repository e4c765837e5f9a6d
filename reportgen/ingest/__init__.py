"""``reportgen ingest``: items CSV, judge logs and verdict JSONL into one DuckDB file.

Everything is read and checked before the database is opened, and the whole ingest is
one transaction, so a bad input leaves the database exactly as it was."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from reportgen import categories, store
from reportgen.errors import InputError, UsageError
from reportgen.ingest import items_csv, judge_log, verdicts_jsonl
from reportgen.ingest.textfile import check_readable, file_sha256

FORMATS = ("items-csv", "judge-log", "verdicts-jsonl")
LOG_JUDGE = "imported-log"
_ORDER = {"items-csv": 0, "judge-log": 1, "verdicts-jsonl": 2}


@dataclass
class Source:
    path: Path
    format: str
    sha256: str
    bytes: int
    parsed: object = None
    summary: list[str] = field(default_factory=list)


@dataclass
class IngestResult:
    run: str
    created: bool
    changed: bool
    lines: list[str]


def detect_format(path: Path) -> str:
    head = check_readable(path).decode("utf-8", errors="replace")
    if judge_log.looks_like_judge_log(head):
        return "judge-log"
    if verdicts_jsonl.looks_like_jsonl(head) or path.suffix.lower() in (".jsonl", ".ndjson"):
        return "verdicts-jsonl"
    if path.suffix.lower() == ".log":
        raise InputError(
            "does not start like a judge log ('Loaded N finetune entries…' or 'Winner: …') or a "
            "verdict JSONL ('{…}'); pass --as FORMAT if it is one", path=path, line=1,
        )
    return "items-csv"


def default_run_name(path: Path) -> str:
    name = path.name.split(".")[0] or path.stem
    return re.sub(r"[^\w.-]+", "-", name).strip("-") or "run"


def ingest(db_path: Path, files: list[Path], *, run: str | None = None,
           mapping: dict[str, str] | None = None, force_format: str | None = None,
           replace: bool = False, synthetic: bool = False) -> IngestResult:
    if not files:
        raise UsageError("give at least one file to ingest")
    sources = []
    for path in files:
        fmt = force_format or detect_format(path)
        if force_format:
            check_readable(path)
        digest, size = file_sha256(path)
        sources.append(Source(path, fmt, digest, size))
    sources.sort(key=lambda s: _ORDER[s.format])
    if mapping and not any(s.format == "items-csv" for s in sources):
        raise UsageError("--map applies to items CSV files, and none was given")
    run_name = run or default_run_name(files[0])

    for src in sources:  # parse everything before touching the database
        src.parsed = _parse(src, mapping)

    existed = db_path.exists()
    try:
        con = store.connect(db_path)
    except Exception:
        if not existed and db_path.exists():
            db_path.unlink()
        raise
    try:
        con.begin()
        try:
            result = _write(con, run_name, sources, replace=replace, synthetic=synthetic)
            con.commit()
        except BaseException:
            con.rollback()
            raise
    except BaseException:
        con.close()
        if not existed:
            _remove_db(db_path)
        raise
    con.close()
    return result


def _remove_db(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".wal")):
        p.unlink(missing_ok=True)


def _parse(src: Source, mapping: dict[str, str] | None):
    if src.format == "items-csv":
        return items_csv.read(src.path, mapping)
    if src.format == "judge-log":
        summary = judge_log.LogSummary()
        verdicts, transcripts = [], []
        for rec in judge_log.parse(src.path, summary):
            (verdicts if isinstance(rec, judge_log.Verdict) else transcripts).append(rec)
        if not verdicts:
            raise InputError("holds no 'Winner: EvalWinner.…' verdict lines; nothing to ingest", path=src.path)
        return summary, verdicts, transcripts
    return verdicts_jsonl.read(src.path)


def _write(con: duckdb.DuckDBPyConnection, run_name: str, sources: list[Source], *,
           replace: bool, synthetic: bool) -> IngestResult:
    rows = store.run(con, "ingest/find_run", name=run_name)
    row = rows[0] if rows else None
    created = row is None
    if created:
        run_id = store.scalar(con, "ingest/create_run", name=run_name, synthetic=synthetic)
    else:
        run_id = row[0]
        if replace:
            store.run(con, "ingest/delete_run_data", run_id=run_id)
    seen = {sha: path for sha, path, _ in store.run(con, "ingest/run_sources", run_id=run_id)}
    lines = [f"run {run_name!r}: " + ("new" if created else "replaced" if replace else "existing")]
    changed = created or replace
    for src in sources:
        if src.sha256 in seen:
            lines.append(f"  {src.path.name}: already ingested (same content as {seen[src.sha256]}); unchanged")
            continue
        changed = True
        if src.format == "items-csv":
            _write_items(con, run_id, src)
        elif src.format == "judge-log":
            _write_log(con, run_id, src)
        else:
            _write_jsonl(con, run_id, src)
        seen[src.sha256] = str(src.path)
        lines.append(f"  {src.path.name}: {src.summary[0]}")
        lines.extend(f"    {line}" for line in src.summary[1:])
    if changed:
        categories.refresh(con, run_id)
    return IngestResult(run_name, created, changed, lines)


def _record_source(con, run_id: int, src: Source) -> int:
    return store.scalar(con, "ingest/insert_source", run_id=run_id, path=str(src.path), format=src.format,
                        sha256=src.sha256, bytes=src.bytes, summary="; ".join(src.summary))


def _insert(con, name: str, view: str, frame: pl.DataFrame, **params) -> None:
    con.register(view, frame.to_arrow())
    try:
        store.run(con, name, **params)
    except duckdb.ConstraintException as exc:
        raise InputError(f"conflicts with data already in the run ({str(exc).splitlines()[0]}); "
                         "use --replace to redo the run or --run NAME for a new one", path=params.get("path")) from None
    finally:
        con.unregister(view)


def _existing_items(con, run_id: int) -> pl.DataFrame:
    return store.frame(con, "ingest/run_items", run_id=run_id)


def _write_items(con, run_id: int, src: Source) -> None:
    parsed: items_csv.ItemsCsv = src.parsed
    existing = _existing_items(con, run_id)
    clash = parsed.frame.join(existing.select("item_key"), on="item_key", how="inner")
    if clash.height:
        first = clash.sort("position").row(0, named=True)
        raise InputError(
            f"item {first['item_key']!r} is already in run (from an earlier file); use --replace to redo "
            "the run or --run NAME for a new one", path=src.path,
            line=items_csv.row_line(src.path, first["position"]),
        )
    cols = ", ".join(f"{f}={c}" for f, c in parsed.columns.items())
    src.summary = [f"items CSV, {parsed.frame.height} rows (columns: {cols})"]
    source_id = _record_source(con, run_id, src)
    _insert(con, "ingest/insert_items", "staged_items", parsed.frame, run_id=run_id, source_id=source_id)


def _write_log(con, run_id: int, src: Source) -> None:
    summary, verdicts, transcripts = src.parsed
    if store.scalar(con, "ingest/judge_verdict_count", run_id=run_id, judge=LOG_JUDGE):
        raise InputError(
            "the run already holds a judge log's verdicts; ingest this log into another run with "
            "--run NAME, or redo the run with --replace", path=src.path,
        )
    existing = _existing_items(con, run_id)
    by_text: dict[tuple[str, str], list[str]] = {}
    by_question: dict[str, list[str]] = {}
    for r in existing.iter_rows(named=True):
        by_text.setdefault((items_csv.normalize_text(r["question"]), items_csv.normalize_text(r["paper"])), []).append(r["item_key"])
        by_question.setdefault(items_csv.normalize_text(r["question"]), []).append(r["item_key"])

    seq_key: dict[int, tuple[str, str]] = {}
    new_items = []
    matched_text = matched_question = added = 0
    for t in transcripts:
        q, p = items_csv.normalize_text(t.question), items_csv.normalize_text(t.paper)
        keys = by_text.get((q, p), [])
        if len(keys) == 1:
            seq_key[t.seq] = (keys[0], "transcript")
            matched_text += 1
            continue
        qkeys = by_question.get(q, [])
        if not keys and len(qkeys) == 1:
            seq_key[t.seq] = (qkeys[0], "transcript")
            matched_question += 1
            continue
        key = items_csv.item_key(t.question, t.paper)
        if any(k == key for k in keys) or key in seq_key.values():
            key = f"{key}-{t.seq}"
        new_items.append({"item_key": key, "position": None, "question": t.question, "paper": t.paper,
                          "reference_answer": t.reference_answer, "base_answer": t.base_answer,
                          "finetuned_answer": t.finetuned_answer, "source_line": t.line})
        seq_key[t.seq] = (key, "transcript")
        added += 1

    # Text-less verdicts are matched by position only when the items CSV lists exactly
    # the judged entries in order, and every transcript agrees with that order.
    positions = existing.filter(pl.col("position").is_not_null())
    pos_key = dict(zip(positions["position"].to_list(), positions["item_key"].to_list()))
    textless = [v for v in verdicts if v.seq not in seq_key]
    positional = (
        bool(textless) and len(pos_key) == len(verdicts)
        and (summary.loaded is None or summary.loaded == len(verdicts))
        and all(pos_key.get(seq) == key for seq, (key, _) in seq_key.items())
    )
    rows = []
    for v in verdicts:
        key, how = seq_key.get(v.seq, (None, "unmatched"))
        if key is None and positional:
            key, how = pos_key[v.seq], "position"
        rows.append({"judge": LOG_JUDGE, "seq": v.seq, "item_key": key, "winner": v.winner, "confidence": None,
                     "rationale": None, "matched_by": how, "source_line": v.line})

    footer = ("footer agrees ({:.1f} % fine-tuned)".format(summary.footer["rate"]) if summary.footer
              else "no footer: interrupted run, complete verdicts kept")
    src.summary = [
        f"judge log, {summary.verdicts} verdicts ({summary.base_wins} base, {summary.finetuned_wins} "
        f"fine-tuned), {summary.transcripts} transcripts, {footer}"
    ]
    if transcripts:
        src.summary.append(
            f"{matched_text + matched_question} transcripts matched to items CSV rows "
            f"({matched_text} by question and paper, {matched_question} by question alone); "
            f"{added} added as items from the log's own text"
        )
    unmatched = sum(1 for r in rows if r["item_key"] is None)
    if positional:
        src.summary.append(f"{len(textless)} verdicts without text matched by position (the CSV lists the judged entries in order)")
    elif unmatched:
        why = ("no items CSV covers them" if existing.height == 0 else
               f"positions are ambiguous: {summary.loaded or '?'} loaded, {len(verdicts)} judged, "
               f"{len(pos_key)} CSV rows")
        src.summary.append(f"{unmatched} verdicts carry no text: kept as source unknown ({why})")
    if summary.loaded is not None and summary.loaded > summary.verdicts:
        src.summary.append(f"{summary.loaded - summary.verdicts} loaded entries were never judged: counted as unjudged")
    src.summary.extend(summary.notes)

    source_id = _record_source(con, run_id, src)
    if new_items:
        frame = pl.DataFrame(new_items, schema={
            "item_key": pl.String, "position": pl.Int32, "question": pl.String, "paper": pl.String,
            "reference_answer": pl.String, "base_answer": pl.String, "finetuned_answer": pl.String,
            "source_line": pl.Int32})
        _insert(con, "ingest/insert_items", "staged_items", frame, run_id=run_id, source_id=source_id)
    if summary.loaded is not None:
        store.run(con, "ingest/set_declared_items", run_id=run_id, declared=summary.loaded)
    _insert(con, "ingest/insert_verdicts", "staged_verdicts", _verdict_frame(rows), run_id=run_id, source_id=source_id)


def _verdict_frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={
        "judge": pl.String, "seq": pl.Int32, "item_key": pl.String, "winner": pl.String,
        "confidence": pl.Float64, "rationale": pl.String, "matched_by": pl.String, "source_line": pl.Int32})


def _write_jsonl(con, run_id: int, src: Source) -> None:
    records: list[verdicts_jsonl.JsonVerdict] = src.parsed
    known = set(_existing_items(con, run_id)["item_key"].to_list())
    default_judge = f"jsonl:{default_run_name(src.path)}"
    for rec in records:
        if rec.item_key not in known:
            raise InputError(
                f"item {rec.item_key!r} is not in the run; ingest its items CSV first (same --run) "
                "or fix the key", path=src.path, line=rec.line,
            )
    judges = sorted({rec.judge or default_judge for rec in records})
    counters = {j: store.scalar(con, "ingest/judge_verdict_count", run_id=run_id, judge=j) for j in judges}
    rows = []
    seen: dict[tuple[str, str], int] = {}
    for rec in records:
        judge = rec.judge or default_judge
        if (judge, rec.item_key) in seen:
            raise InputError(
                f"judge {judge!r} already judged item {rec.item_key!r} on line {seen[(judge, rec.item_key)]}; "
                "keep one verdict per item and judge", path=src.path, line=rec.line,
            )
        seen[(judge, rec.item_key)] = rec.line
        rows.append({"judge": judge, "seq": counters[judge], "item_key": rec.item_key, "winner": rec.winner,
                     "confidence": rec.confidence, "rationale": rec.rationale, "matched_by": "key",
                     "source_line": rec.line})
        counters[judge] += 1
    src.summary = [f"verdict JSONL, {len(rows)} verdicts from judge {', '.join(judges)}, all matched by item key"]
    source_id = _record_source(con, run_id, src)
    _insert(con, "ingest/insert_verdicts", "staged_verdicts", _verdict_frame(rows), run_id=run_id, source_id=source_id)
