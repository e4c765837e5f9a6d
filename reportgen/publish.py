"""``reportgen publish``: put a built site on the gh-pages branch with git plumbing.

Like ghp-import (what ``mkdocs gh-deploy`` uses) the site is committed straight into the
branch through a scratch index, so the working tree, the index and the current branch are
never touched. Unlike it, a publish whose files are already on the branch makes no new
commit. ``write_workflow`` writes a GitHub Actions workflow that builds and deploys the
site with the official Pages actions instead."""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from reportgen.errors import ReportgenError


class PublishError(ReportgenError):
    """The site cannot be committed or pushed."""


@dataclass
class PublishResult:
    branch: str
    commit: str
    created: bool
    pushed: str | None

    @property
    def line(self) -> str:
        what = f"committed {self.commit[:12]} to {self.branch}" if self.created else \
            f"{self.branch} already holds this site ({self.commit[:12]}); no new commit"
        return what + (f"; pushed to {self.pushed}" if self.pushed else "")


def _git(repo: Path, *args: str, env: dict | None = None, input: str | None = None, check: bool = True) -> str:
    proc = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, input=input,
                          env={**os.environ, **(env or {})})
    if check and proc.returncode != 0:
        raise PublishError(f"git {args[0]} failed ({_reason(proc.stderr or proc.stdout) or proc.returncode})", path=repo)
    return proc.stdout.strip()


def _reason(output: str) -> str:
    """What git said went wrong: its first ``fatal:`` or ``error:`` line, else its last line."""
    lines = [line.strip() for line in output.strip().splitlines() if line.strip()]
    said = [line.split(":", 1)[1].strip() for line in lines if line.startswith(("fatal:", "error:"))]
    return said[0] if said else (lines[-1] if lines else "")


def preflight(branch: str, remote: str | None, repo: Path | None = None) -> None:
    """What ``publish`` needs from the repository, checked before a site is built for it: a git work
    tree, a valid branch name that is not checked out, and the remote, when it is a name, known to git."""
    repo = (repo or Path.cwd()).resolve()
    if _git(repo, "rev-parse", "--is-inside-work-tree", check=False) != "true":
        raise PublishError("is not inside a git repository; run publish from your repository", path=repo)
    ref = f"refs/heads/{branch}"
    if subprocess.run(["git", "check-ref-format", ref], cwd=repo, capture_output=True).returncode != 0:
        raise PublishError(f"--branch {branch!r} is not a valid git branch name; choose another", path=repo)
    if _git(repo, "symbolic-ref", "--quiet", "HEAD", check=False) == ref:
        raise PublishError(f"has {branch} checked out; publish from another branch so your working tree "
                           "is not left behind the site commit", path=repo)
    if remote and not any(c in remote for c in ":/"):
        names = _git(repo, "remote").split()
        if remote not in names:
            raise PublishError(f"has no remote named {remote!r} (git remote lists {', '.join(names) or 'none'}); "
                               "pass a remote name or URL", path=repo)


def publish(site_dir: Path, *, branch: str = "gh-pages", remote: str | None = None,
            message: str = "Publish the reportgen site", repo: Path | None = None) -> PublishResult:
    """Commit ``site_dir`` as the whole tree of ``branch`` (with .nojekyll) and push it to ``remote``."""
    repo = (repo or Path.cwd()).resolve()
    site_dir = site_dir.resolve()
    if not (site_dir / "index.html").is_file():
        raise PublishError("holds no index.html; build the site first", path=site_dir)
    preflight(branch, remote, repo)
    if not (site_dir / ".nojekyll").exists():
        (site_dir / ".nojekyll").write_bytes(b"")
    ref = f"refs/heads/{branch}"
    parent = _git(repo, "rev-parse", "--verify", "--quiet", ref + "^{commit}", check=False) or None
    with tempfile.TemporaryDirectory(prefix="reportgen-publish-") as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index"), "GIT_WORK_TREE": str(site_dir)}
        # --force: the repository's ignore rules (e.g. *.duckdb, site/) must not drop site files.
        _git(repo, "--work-tree", str(site_dir), "add", "--all", "--force", ".", env=env)
        tree = _git(repo, "write-tree", env=env)
    if parent and _git(repo, "rev-parse", parent + "^{tree}") == tree:
        commit, created = parent, False
    else:
        args = ["commit-tree", tree, "-m", message] + (["-p", parent] if parent else [])
        commit = _git(repo, *args)
        _git(repo, "update-ref", "-m", "reportgen publish", ref, commit, *([parent] if parent else []))
        created = True
    pushed = None
    if remote:
        proc = subprocess.run(["git", "push", "--quiet", remote, f"{ref}:{ref}"], cwd=repo, capture_output=True,
                              text=True)
        if proc.returncode != 0:
            raise PublishError(f"committed {commit[:12]} to {branch}, but git push to {remote} failed "
                               f"({_reason(proc.stderr or proc.stdout) or proc.returncode}); fix the remote and run "
                               "publish again", path=repo)
        pushed = remote
    return PublishResult(branch=branch, commit=commit, created=created, pushed=pushed)


WORKFLOW = """\
# Build the reportgen site and deploy it with GitHub's official Pages actions.
# Written by `reportgen publish --workflow`. In the repository settings, set
# Pages > Build and deployment > Source to "GitHub Actions".
name: pages

on:
  push:
    branches: [main]
  workflow_dispatch:

permissions:
  contents: read
  pages: write
  id-token: write

concurrency:
  group: pages
  cancel-in-progress: true

env:
  # The database to build from; commit it (it is ignored by default) or change this.
  REPORTGEN_DB: reportgen.duckdb

jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      # reportgen from this repository (a checkout of it); in a repository of your own results, install it from
      # where you got it instead, e.g. pip install 'reportgen[site] @ git+https://github.com/OWNER/reportgen'
      - run: pip install '.[site]'
{console_step}      - name: Build the site (or use the committed {out}/ folder when there is no database)
        run: |
          if [ -f "$REPORTGEN_DB" ]; then
            reportgen build --out _site --clean{console_option}
          else
            cp -r {out} _site
          fi
      - uses: actions/configure-pages@v5
      - uses: actions/upload-pages-artifact@v3
        with:
          path: _site
  deploy:
    needs: build
    runs-on: ubuntu-latest
    environment:
      name: github-pages
      url: ${{{{ steps.deployment.outputs.page_url }}}}
    steps:
      - id: deployment
        uses: actions/deploy-pages@v4
"""


# With the SQL console: DuckDB-Wasm, pinned, from npm into a scratch folder the build copies it from.
CONSOLE_STEP = """\
      - name: DuckDB-Wasm for the SQL console (pinned; copied into the site, never loaded from a CDN)
        run: {npm}
"""
CONSOLE_PREFIX = "build/npm"


def write_workflow(repo: Path, *, out: Path = Path("site"), sql_console: bool = False) -> Path:
    """Write ``.github/workflows/pages.yml`` under the repository root of ``repo``; with
    ``sql_console`` it installs DuckDB-Wasm and builds with ``--sql-console``."""
    from reportgen.site.duckdb_wasm import npm_command
    top = _git(repo, "rev-parse", "--show-toplevel", check=False) or str(repo)
    path = Path(top) / ".github" / "workflows" / "pages.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    step = CONSOLE_STEP.format(npm=npm_command(Path(CONSOLE_PREFIX))) if sql_console else ""
    option = f" --sql-console {CONSOLE_PREFIX}" if sql_console else ""
    path.write_text(WORKFLOW.format(out=out.as_posix(), console_step=step, console_option=option), encoding="utf-8")
    return path
