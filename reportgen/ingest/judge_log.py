"""Judge log (the user's own judge script's output; format in the README, "Judge log"):
verdicts for every judged entry, transcripts for the base wins. Parsed by ``logparse`` in one
streamed pass inside the ingest's transaction (an error rolls it back).

Transcript chunks go to Parquet files in a scratch folder beside the database and are loaded
in one statement: DuckDB keeps every row appended by a separate statement in memory until the
transaction ends, which made a 1M-item ingest hold 3 GB of transcript text beyond its budget."""

from __future__ import annotations

import tempfile
from pathlib import Path

import polars as pl

from reportgen import store
from reportgen.errors import InputError
from reportgen.ingest import logparse
from reportgen.ingest.common import Context, Options, Source

NAME = "judge-log"
ORDER = 1
JUDGE = "imported-log"
CHUNK = 20_000

_V_SCHEMA = {"seq": pl.Int32, "winner": pl.String, "line": pl.Int32}
_T_SCHEMA = {"seq": pl.Int32, "line": pl.Int32, "question": pl.String, "paper": pl.String,
             "reference_answer": pl.String, "base_answer": pl.String, "finetuned_answer": pl.String}


def detect(path: Path, head: str) -> bool:
    return logparse.looks_like_judge_log(head)


def check(path: Path, options: Options) -> None:
    return None  # read once, streamed inside the transaction


def _stream(con, path: Path) -> logparse.LogSummary:
    """Parse the log, streaming verdicts (small) into their staging table in chunks and
    transcripts into Parquet files that are loaded at the end."""
    summary = logparse.LogSummary()
    store.run(con, "ingest/create_log_staging")
    verdicts: list[tuple] = []
    transcripts: list[tuple] = []
    with tempfile.TemporaryDirectory(prefix=".reportgen-log-", dir=store.scratch_dir(con)) as scratch:
        parts: list[Path] = []

        def flush_verdicts() -> None:
            if verdicts:
                con.register("chunk", pl.DataFrame(verdicts, schema=_V_SCHEMA, orient="row").to_arrow())
                try:
                    store.run(con, "ingest/append_log_verdicts")
                finally:
                    con.unregister("chunk")
                verdicts.clear()

        def flush_transcripts() -> None:
            if transcripts:
                parts.append(Path(scratch) / f"{len(parts):06d}.parquet")
                pl.DataFrame(transcripts, schema=_T_SCHEMA, orient="row").write_parquet(parts[-1])
                transcripts.clear()

        for rec in logparse.parse(path, summary):
            if isinstance(rec, logparse.LogVerdict):
                verdicts.append((rec.seq, rec.winner, rec.line))
                if len(verdicts) >= CHUNK:
                    flush_verdicts()
            else:
                transcripts.append((rec.seq, rec.line, rec.question, rec.paper, rec.reference_answer,
                                    rec.base_answer, rec.finetuned_answer))
                if len(transcripts) >= CHUNK // 4:
                    flush_transcripts()
        flush_verdicts()
        flush_transcripts()
        if parts:
            store.run(con, "ingest/load_transcripts", files=[str(p) for p in parts])
    if not summary.verdicts:
        raise InputError("holds no 'Winner: EvalWinner.…' verdict lines; nothing to ingest", path=path)
    return summary


def write(ctx: Context, src: Source) -> list[str]:
    con, run_id = ctx.con, ctx.run_id
    summary = _stream(con, src.path)  # a malformed log is reported before a clash with the run
    if ctx.verdict_count(JUDGE):
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
    lines = [
        f"judge log, {summary.verdicts} verdicts ({summary.base_wins} base, {summary.finetuned_wins} "
        f"fine-tuned), {summary.transcripts} transcripts, {footer}"
    ]
    if summary.transcripts:
        lines.append(
            f"{by_text + by_question} transcripts matched to items CSV rows "
            f"({by_text} by question and paper, {by_question} by question alone); "
            f"{added} added as items from the log's own text"
        )
    if positional:
        lines.append(f"{textless} verdicts without text matched by position (the CSV lists the judged entries in order)")
    elif textless:
        why = ("no items CSV covers them" if csv_rows == 0 and by_text + by_question == 0 else
               f"positions are ambiguous: {summary.loaded or '?'} loaded, {summary.verdicts} judged, "
               f"{csv_rows} CSV rows")
        lines.append(f"{textless} verdicts carry no text: kept as source unknown ({why})")
    if summary.loaded is not None and summary.loaded > summary.verdicts:
        lines.append(f"{summary.loaded - summary.verdicts} loaded entries were never judged: counted as unjudged")
    lines.extend(summary.notes)

    source_id = ctx.record_source(src, lines)
    store.run(con, "ingest/insert_log_items", run_id=run_id, source_id=source_id)
    ctx.items_written = True
    if summary.loaded is not None:
        store.run(con, "ingest/set_declared_items", run_id=run_id, declared=summary.loaded)
    store.run(con, "ingest/insert_log_verdicts", run_id=run_id, judge=JUDGE, positional=positional,
              source_id=source_id)
    return lines
