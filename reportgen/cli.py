"""The command line: parse options, call one library function, print, map errors.

Library code raises ReportgenError with one sentence; this layer prints it as
``Error: …`` with exit code 1 and never a traceback. So does an OSError that reaches it
(an unwritable folder, a missing parent, a full disk), named by its file, and DuckDB failing
to read or write the database (reportgen.errors.user_error)."""

from __future__ import annotations

from pathlib import Path

import click

from reportgen import __version__
from reportgen.cli_common import Group, db_option, format_option, with_db
from reportgen.cli_judge import judge
from reportgen.cli_site import build, publish, serve


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@db_option
@click.version_option(__version__, prog_name="reportgen")
@click.pass_context
def cli(ctx: click.Context, db: Path | None):
    """Judge a fine-tuned model against its base model and report it: ingest judge outputs into
    DuckDB, query win rates and failure categories, build and publish a static site."""
    ctx.obj = {"db": db}


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--run", "run_name", help="Run name (default: the first file's name up to its first dot).")
@click.option("--map", "mapping", multiple=True, metavar="FIELD=COLUMN",
              help="Use COLUMN of the items CSV for FIELD (question, paper, reference_answer, base_answer, "
                   "finetuned_answer, id). Repeatable.")
@click.option("--as", "force_format", type=click.Choice(["items-csv", "judge-log", "verdicts-jsonl", "alpaca-eval",
                                                         "arena-hard", "mt-bench", "mt-bench-single", "bench-questions", "bench-answers"]),
              help="Read every FILE as this format instead of detecting it.")
@click.option("--base", metavar="NAME", help="AlpacaEval, Arena-Hard, MT-bench: the model (as the file names it) that "
                                             "plays the base; default: the benchmark's baseline.")
@click.option("--model", metavar="NAME", help="MT-bench files judging several models: the one to compare with the base.")
@click.option("--category", metavar="NAME", help="Arena-Hard v2 files of several categories (hard_prompt, "
                                                 "creative_writing, …): the one to read; each is scored on its own.")
@click.option("--replace", is_flag=True, help="Redo the run: drop what it holds, then ingest FILES.")
@with_db
def ingest(files, run_name, mapping, force_format, base, model, category, replace, db):
    """Ingest items CSVs, judge logs, verdict JSONL, AlpacaEval annotations, Arena-Hard or MT-bench
    judgments (with their question and answer files) into one run."""
    from reportgen.ingest import ingest as do_ingest
    from reportgen.ingest.items_csv import parse_mapping
    result = do_ingest(db, list(files), run=run_name, mapping=parse_mapping(mapping), force_format=force_format,
                       base=base, model=model, category=category, replace=replace)
    for line in result.lines:
        click.echo(line)
    click.echo(f"{'wrote' if result.changed else 'nothing new for'} {db}")


@cli.command()
@click.option("--run", "run_name", help="Only this run.")
@format_option
@with_db
def stats(run_name, fmt, db):
    """Win rates with 95 % intervals, outcome counts, per-paper table and failure categories."""
    from reportgen import stats as stats_mod, store
    from reportgen.output import render
    with store.open_db(db, read_only=True) as con:
        frames = stats_mod.summary(con, run_name)
    if fmt == "table":
        click.echo(stats_mod.text(frames), nl=False)
    elif fmt == "json":
        import json
        click.echo(json.dumps({k: v.to_dicts() for k, v in frames.items()}, indent=2, ensure_ascii=False,
                              default=str))
    else:
        for name, df in frames.items():
            if fmt == "markdown":
                click.echo(f"## {name}\n")
            click.echo(render(df, fmt, max_width=None), nl=False)
            click.echo("")


@cli.command()
@click.argument("sql")
@format_option
@click.option("--write", is_flag=True, help="Allow statements that change the database.")
@with_db
def query(sql, fmt, write, db):
    """Run SQL against the database. Every report (sql/report/) is a view of the same name:
    overall, papers, categories, transcripts, run_list, … Read-only unless --write."""
    from reportgen.query import run_query
    from reportgen.output import render
    result = run_query(db, sql, write=write)
    if isinstance(result, str):
        click.echo(result)
    else:
        click.echo(render(result, fmt, max_width=None if fmt != "table" else 60), nl=False)


@cli.command()
@format_option
@with_db
def runs(fmt, db):
    """List the runs in the database."""
    from reportgen import report, store
    from reportgen.output import render
    with store.open_db(db, read_only=True) as con:
        df = report.frame(con, "run_list")
    click.echo(render(df, fmt, max_width=None if fmt != "table" else 80), nl=False)


@cli.command()
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=Path("reportgen-demo"),
              show_default=True, help="Folder for the demo database (and site).")
@click.option("--sql-console", "sql_console", is_flag=False, flag_value="", default=None, metavar="[DIR]",
              help="Build the site with the SQL console, DuckDB-Wasm from DIR (default: with it when "
                   "./node_modules or the cache has it).")
def demo(out, sql_console):
    """Ingest the bundled real example (Llama 3.1 8B base vs fine-tuned) and print its report."""
    from reportgen import demo as demo_mod
    console = None if sql_console is None else Path(sql_console) if sql_console else True
    for line in demo_mod.run(out, sql_console=console):
        click.echo(line)


@cli.command()
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option("--items", type=click.IntRange(min=1), default=1000, show_default=True, help="Number of items.")
@click.option("--papers", type=click.IntRange(min=1), default=12, show_default=True, help="Number of source papers.")
@click.option("--base-share", type=click.FloatRange(0, 1), default=0.35, show_default=True,
              help="Share of comparisons the base model wins (varies per paper around this).")
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same files.")
@click.option("--name", default="synthetic", show_default=True, help="File name stem (and default run name).")
def synth(out, items, papers, base_share, seed, name):
    """Write synthetic data (items CSV, judge log, verdict JSONL of a second judge with ties and
    invalid verdicts) for demos and benchmarks. Deterministic from --seed."""
    from reportgen.synth import generate
    r = generate(out, items=items, papers=papers, base_share=base_share, seed=seed, name=name)
    for path in (r.csv, r.log, r.jsonl):
        click.echo(f"wrote {path} ({path.stat().st_size / 2**20:.1f} MB)")
    click.echo(f"{r.items} items: {r.base_wins} base wins, {r.finetuned_wins} fine-tuned wins in the log; "
               f"ingest with: reportgen ingest {r.csv} {r.log} {r.jsonl}")


# Commands of later stages live beside their stage (site: reportgen/cli_site.py; judge:
# reportgen/cli_judge.py) and are registered here.
for command in (build, serve, publish, judge):
    cli.add_command(command)


def main() -> None:
    cli(prog_name="reportgen")


if __name__ == "__main__":
    main()
