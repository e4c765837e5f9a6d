"""``reportgen ingest``: input files into one run of the DuckDB file.

This module detects each file's format and owns the transaction; each format is one module
of this package with the interface described in ``common``. What needs no database is
checked before it is opened; the rest happens in one transaction, so a bad input leaves the
database exactly as it was."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reportgen import categories, store
from reportgen.errors import InputError, UsageError
from reportgen.ingest import (alpaca_eval, arena_hard, bench_answers, bench_questions, items_csv, judge_log,
                              mtbench, mtbench_single, verdicts_jsonl)
from reportgen.ingest.common import Context, Options, Source, slug
from reportgen.ingest.textfile import check_readable, file_sha256

# Detection order: the most specific content first; an items CSV is what is left.
_MODULES = (judge_log, alpaca_eval, arena_hard, mtbench, mtbench_single, bench_questions, bench_answers, verdicts_jsonl,
            items_csv)
FORMATS = {m.NAME: m for m in _MODULES}


@dataclass
class IngestResult:
    run: str
    created: bool
    changed: bool
    lines: list[str]


def detect_format(path: Path) -> str:
    head = check_readable(path).decode("utf-8", errors="replace")
    for module in _MODULES:
        if module.detect(path, head):
            return module.NAME
    raise InputError(
        "is not a format reportgen reads (an items CSV, a judge log, verdict JSONL, AlpacaEval annotations, "
        "Arena-Hard or MT-bench judgments, questions or answers); pass --as FORMAT if it is one", path=path, line=1,
    )


def default_run_name(path: Path) -> str:
    return slug(path.name.split(".")[0] or path.stem)


def ingest(db_path: Path | str, files: list[Path | str], *, run: str | None = None,
           mapping: dict[str, str] | None = None, force_format: str | None = None, base: str | None = None,
           model: str | None = None, category: str | None = None, replace: bool = False,
           synthetic: bool = False) -> IngestResult:
    if not files:
        raise UsageError("give at least one file to ingest")
    if force_format is not None and force_format not in FORMATS:
        raise UsageError(f"unknown format {force_format!r}; formats: {', '.join(FORMATS)}")
    options = Options(mapping=mapping, base=base, model=model, category=category, replace=replace,
                      synthetic=synthetic)
    db_path, files = Path(db_path), [Path(f) for f in files]
    sources = []
    for path in files:
        fmt = force_format or detect_format(path)
        if force_format:
            check_readable(path)
        digest, size = file_sha256(path, text=True)  # refuses a NUL byte past the first ones sniffed
        sources.append(Source(path, fmt, digest, size))
    sources.sort(key=lambda s: FORMATS[s.format].ORDER)
    if mapping and not any(s.format == items_csv.NAME for s in sources):
        raise UsageError("--map applies to items CSV files, and none was given")
    run_name = run or default_run_name(_naming_file(sources))

    for src in sources:  # the checks that need no database
        src.plan = FORMATS[src.format].check(src.path, options)

    existed = db_path.exists()
    try:
        con = store.connect(db_path, migrated=False)
    except Exception:
        if not existed:
            _remove_db(db_path)
        raise
    try:
        with store.transaction(con):
            store.migrate(con, within=True)  # a database to upgrade stays as it was if the input is refused
            result = _write(con, run_name, sources, options)
    except BaseException:
        con.close()
        if not existed:
            _remove_db(db_path)
        raise
    con.close()
    return result


def _naming_file(sources: list[Source]) -> Path:
    """The file the run is named after: the first judgment file where companions came with it."""
    main = [s for s in sources if not getattr(FORMATS[s.format], "COMPANION", False)]
    return (main or sources)[0].path


def _remove_db(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".wal")):
        p.unlink(missing_ok=True)


def _write(con, run_name: str, sources: list[Source], options: Options) -> IngestResult:
    rows = store.run(con, "ingest/find_run", name=run_name)
    row = rows[0] if rows else None
    created = row is None
    if created:
        run_id = store.scalar(con, "ingest/create_run", name=run_name, synthetic=options.synthetic)
    else:
        run_id = row[0]
        if options.replace:
            store.run(con, "ingest/delete_run_data", run_id=run_id)
    seen = {sha: path for sha, path, _ in store.run(con, "ingest/run_sources", run_id=run_id)}
    lines = [f"run {run_name!r}: " + ("new" if created else "replaced" if options.replace else "existing")]
    changed = created or options.replace
    ctx = Context(con, run_id, run_name, options)
    for src in sources:
        if src.sha256 in seen:
            lines.append(f"  {src.path.name}: already ingested (same content as {seen[src.sha256]}); unchanged")
            continue
        changed = True
        summary = FORMATS[src.format].write(ctx, src)
        seen[src.sha256] = str(src.path)
        lines.append(f"  {src.path.name}: {summary[0]}")
        lines.extend(f"    {line}" for line in summary[1:])
    for companion in ctx.staged.values():
        companion.check_used()
    if changed:
        # a file of verdicts alone leaves the items, and their text need not be read again
        categories.refresh(con, run_id, items=ctx.items_written or options.replace)
    return IngestResult(run_name, created, changed, lines)
