"""``reportgen ingest``: items CSV, judge logs and verdict JSONL into one DuckDB file.

What needs no database is checked before it is opened; the rest happens in one
transaction, so a bad input leaves the database exactly as it was."""

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


def ingest(db_path: Path | str, files: list[Path | str], *, run: str | None = None,
           mapping: dict[str, str] | None = None, force_format: str | None = None,
           replace: bool = False, synthetic: bool = False) -> IngestResult:
    if not files:
        raise UsageError("give at least one file to ingest")
    db_path, files = Path(db_path), [Path(f) for f in files]
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

    for src in sources:  # the checks that need no database
        src.parsed = _precheck(src, mapping)

    existed = db_path.exists()
    try:
        con = store.connect(db_path)
    except Exception:
        if not existed:
            _remove_db(db_path)
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


def _precheck(src: Source, mapping: dict[str, str] | None):
    """What can be checked before the database is opened: a CSV's header and columns, a JSONL.
    A judge log is read once, streamed inside the ingest's transaction (an error rolls it back)."""
    if src.format == "items-csv":
        return items_csv.check(src.path, mapping)
    if src.format == "judge-log":
        return None
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


def _write_items(con, run_id: int, src: Source) -> None:
    plan: items_csv.CsvPlan = src.parsed
    rows = items_csv.stage(con, src.path, plan, run_id)
    cols = ", ".join(f"{f}={c}" for f, c in plan.columns.items())
    src.summary = [f"items CSV, {rows} rows (columns: {cols})"]
    items_csv.insert_staged(con, run_id, _record_source(con, run_id, src))


CHUNK = 20_000


def _stream_log(con, path: Path) -> judge_log.LogSummary:
    """Parse the log, streaming verdicts and transcripts into the staging tables in chunks."""
    summary = judge_log.LogSummary()
    store.run(con, "ingest/create_log_staging")
    verdicts: list[tuple] = []
    transcripts: list[tuple] = []

    def flush(rows: list[tuple], query: str, schema: dict) -> None:
        if rows:
            con.register("chunk", pl.DataFrame(rows, schema=schema, orient="row").to_arrow())
            try:
                store.run(con, query)
            finally:
                con.unregister("chunk")
            rows.clear()

    v_schema = {"seq": pl.Int32, "winner": pl.String, "line": pl.Int32}
    t_schema = {"seq": pl.Int32, "line": pl.Int32, "question": pl.String, "paper": pl.String,
                "reference_answer": pl.String, "base_answer": pl.String, "finetuned_answer": pl.String}
    for rec in judge_log.parse(path, summary):
        if isinstance(rec, judge_log.Verdict):
            verdicts.append((rec.seq, rec.winner, rec.line))
            if len(verdicts) >= CHUNK:
                flush(verdicts, "ingest/append_log_verdicts", v_schema)
        else:
            transcripts.append((rec.seq, rec.line, rec.question, rec.paper, rec.reference_answer,
                                rec.base_answer, rec.finetuned_answer))
            if len(transcripts) >= CHUNK // 4:
                flush(transcripts, "ingest/append_transcripts", t_schema)
    flush(verdicts, "ingest/append_log_verdicts", v_schema)
    flush(transcripts, "ingest/append_transcripts", t_schema)
    if not summary.verdicts:
        raise InputError("holds no 'Winner: EvalWinner.…' verdict lines; nothing to ingest", path=path)
    return summary


def _write_log(con, run_id: int, src: Source) -> None:
    summary = _stream_log(con, src.path)  # a malformed log is reported before a clash with the run
    if store.scalar(con, "ingest/judge_verdict_count", run_id=run_id, judge=LOG_JUDGE):
        raise InputError(
            "the run already holds a judge log's verdicts; ingest this log into another run with "
            "--run NAME, or redo the run with --replace", path=src.path,
        )
    store.run(con, "ingest/match_transcripts", run_id=run_id)
    by_text, by_question, added = store.run(con, "ingest/transcript_match_counts")[0]
    csv_rows, disagreeing = store.run(con, "ingest/positional_check", run_id=run_id)[0]
    textless = summary.verdicts - summary.transcripts
    # Text-less verdicts are matched by position only when the items CSV lists exactly the judged
    # entries in order, and every transcript agrees with that order.
    positional = (textless > 0 and csv_rows == summary.verdicts and disagreeing == 0
                  and (summary.loaded is None or summary.loaded == summary.verdicts))

    footer = ("footer agrees ({:.1f} % fine-tuned)".format(summary.footer["rate"]) if summary.footer
              else "no footer: interrupted run, complete verdicts kept")
    src.summary = [
        f"judge log, {summary.verdicts} verdicts ({summary.base_wins} base, {summary.finetuned_wins} "
        f"fine-tuned), {summary.transcripts} transcripts, {footer}"
    ]
    if summary.transcripts:
        src.summary.append(
            f"{by_text + by_question} transcripts matched to items CSV rows "
            f"({by_text} by question and paper, {by_question} by question alone); "
            f"{added} added as items from the log's own text"
        )
    if positional:
        src.summary.append(f"{textless} verdicts without text matched by position (the CSV lists the judged entries in order)")
    elif textless:
        why = ("no items CSV covers them" if csv_rows == 0 and by_text + by_question == 0 else
               f"positions are ambiguous: {summary.loaded or '?'} loaded, {summary.verdicts} judged, "
               f"{csv_rows} CSV rows")
        src.summary.append(f"{textless} verdicts carry no text: kept as source unknown ({why})")
    if summary.loaded is not None and summary.loaded > summary.verdicts:
        src.summary.append(f"{summary.loaded - summary.verdicts} loaded entries were never judged: counted as unjudged")
    src.summary.extend(summary.notes)

    source_id = _record_source(con, run_id, src)
    store.run(con, "ingest/insert_log_items", run_id=run_id, source_id=source_id)
    if summary.loaded is not None:
        store.run(con, "ingest/set_declared_items", run_id=run_id, declared=summary.loaded)
    store.run(con, "ingest/insert_log_verdicts", run_id=run_id, judge=LOG_JUDGE, positional=positional,
              source_id=source_id)


def _verdict_frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={
        "judge": pl.String, "seq": pl.Int32, "item_key": pl.String, "winner": pl.String,
        "confidence": pl.Float64, "rationale": pl.String, "matched_by": pl.String, "source_line": pl.Int32})


def _write_jsonl(con, run_id: int, src: Source) -> None:
    records: list[verdicts_jsonl.JsonVerdict] = src.parsed
    known = set(store.frame(con, "ingest/run_item_keys", run_id=run_id)["item_key"].to_list())
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
