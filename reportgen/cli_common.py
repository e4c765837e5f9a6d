"""What every command module shares: the group's error handling, ``--db`` (accepted before or
after the subcommand) and ``--format``. The command modules (cli, cli_site, cli_judge) import
from here, never from each other, so the package's imports form no circle."""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

import click

from reportgen.errors import user_error
from reportgen.output import FORMATS


class Group(click.Group):
    """Prints a user's error (a ReportgenError, an OSError, DuckDB failing to read or write its
    files; see ``errors.user_error``) as ``Error: …`` (exit 1, no traceback); Ctrl-C exits 130."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo("interrupted; everything committed so far is kept", err=True)
            sys.exit(130)
        except Exception as exc:
            error = user_error(exc)
            if error is None:
                raise
            raise click.ClickException(str(error)) from None


def db_option(f):
    return click.option("--db", "db", type=click.Path(dir_okay=False, path_type=Path), default=None,
                        help="DuckDB file (default: $REPORTGEN_DB or ./reportgen.duckdb).")(f)


DEFAULT_DB = "reportgen.duckdb"


def default_db_path() -> Path:
    """The database of a command without --db: $REPORTGEN_DB, else ./reportgen.duckdb. Here, not in
    store: resolving it need not import DuckDB (a rebuild that nothing changed never opens it)."""
    return Path(os.environ.get("REPORTGEN_DB") or DEFAULT_DB)


def with_db(f):
    """Accept --db after the subcommand too; resolve it against the group's --db and $REPORTGEN_DB."""
    @db_option
    @click.pass_context
    @functools.wraps(f)
    def wrapper(ctx: click.Context, *args, db: Path | None, **kwargs):
        chosen = db or (ctx.obj or {}).get("db") or default_db_path()
        return f(*args, db=chosen, **kwargs)
    return wrapper


def format_option(f):
    return click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
                        help="Output format.")(f)
