"""Commands of the site stage: build, serve, publish (registered in reportgen.cli)."""

from __future__ import annotations

import time
from pathlib import Path

import click

from reportgen.cli_common import with_db
from reportgen.output import SEARCH_LIMIT, SITE_FORMATS


def _formats(value: str) -> list[str]:
    return [f.strip() for f in value.split(",") if f.strip()]


def sql_console_option(f):
    """``--sql-console [DIR]``: add sql.html, DuckDB-Wasm found in DIR, ./node_modules or the cache."""
    return click.option("--sql-console", "sql_console", is_flag=False, flag_value="", default=None, metavar="[DIR]",
                        help="Add sql.html, a SQL console running DuckDB-Wasm in the browser; the npm package "
                             "comes from DIR (an npm --prefix folder or node_modules), else ./node_modules or "
                             "the cache.")(f)


def _console(value: str | None) -> bool | Path:
    return False if value is None else Path(value) if value else True


@click.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("site"), show_default=True,
              help="Folder for the site.")
@click.option("--run", "run_name", help="Only this run (default: every run, with a runs index and comparisons).")
@click.option("--format", "fmt", default=",".join(SITE_FORMATS), show_default=True,
              help="Comma-separated: html (the site) and/or md (the Markdown twin).")
@click.option("--clean", is_flag=True, help="Rewrite every file and remove every file the build does not produce.")
@click.option("--templates", "templates_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder of templates (html/, md/, static/) that override the bundled ones by name.")
@click.option("--search-limit", type=int, default=SEARCH_LIMIT, show_default=True,
              help="The most transcript pages the search index covers; above it, a fixed sample of that many.")
@click.option("--search/--no-search", default=None,
              help="Build the Pagefind search index, or leave it out (default: with Pagefind installed).")
@sql_console_option
@with_db
def build(out, run_name, fmt, clean, templates_dir, search_limit, search, sql_console, db):
    """Build the static site (HTML + Markdown twin, search index, data files) from the database."""
    from reportgen import site
    start = time.perf_counter()
    result = site.build(db, out, run=run_name, formats=_formats(fmt), clean=clean, templates_dir=templates_dir,
                        sql_console=_console(sql_console), search_limit=search_limit, search=search)
    took = time.perf_counter() - start
    click.echo(f"{result.pages} pages, {result.files} files in {out}: {len(result.written)} written, "
               f"{len(result.removed)} removed, {result.files - len(result.written)} unchanged ({took:.1f} s)")
    if not result.search and "html" in _formats(fmt) and search is not False:
        click.echo("no search index: no transcript to search (the base model won no item)" if site.pagefind_available()
                   else "no search index: install pagefind with pip install 'reportgen[site]'")
    if result.sql_console:
        click.echo(f"SQL console: {out / 'sql.html'}; it runs when served (reportgen serve {out}, GitHub Pages)")


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=Path("site"))
@click.option("--port", type=int, default=8000, show_default=True, help="Port (0 picks a free one).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
def serve(directory, port, host):
    """Serve a built site over HTTP (127.0.0.1 only unless --host says otherwise)."""
    from reportgen import site
    server = site.make_server(directory, host, port)
    h, p = server.server_address[:2]
    click.echo(f"serving {directory} at http://{h}:{p}/ (Ctrl-C stops)")
    if not (directory / "index.html").is_file():
        click.echo(f"note: {directory} holds no index.html; build the site with 'reportgen build'", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@click.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("site"), show_default=True,
              help="Folder to build the site into before publishing it.")
@click.option("--branch", default="gh-pages", show_default=True, help="Branch that holds the site.")
@click.option("--remote", help="Git remote (name or URL) to push the branch to; none: commit locally only.")
@click.option("--message", default="Publish the reportgen site", show_default=True, help="Commit message.")
@click.option("--workflow", is_flag=True,
              help="Instead: write .github/workflows/pages.yml, which builds and deploys with GitHub's Pages actions.")
@sql_console_option
@with_db
def publish(out, branch, remote, message, workflow, sql_console, db):
    """Build the site and commit it to the gh-pages branch (working tree and current branch untouched)."""
    from reportgen import publish as pub, site
    if workflow:
        path = pub.write_workflow(Path.cwd(), out=out, sql_console=sql_console is not None)
        click.echo(f"wrote {path}; enable Pages with source 'GitHub Actions' in the repository settings")
        return
    pub.preflight(branch, remote)  # before building: a site built for nothing is not left behind
    result = site.build(db, out, sql_console=_console(sql_console))
    click.echo(f"built {out}: {len(result.written)} files written")
    outcome = pub.publish(out, branch=branch, remote=remote, message=message, repo=Path.cwd())
    click.echo(outcome.line)
