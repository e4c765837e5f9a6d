"""Shared fixtures and helpers: the bundled example files, a database with the example
ingested, a CLI runner, a database digest, a site's file tree, a free port, Chromium.

Under CI (CI=true), a skipped test fails the run: a skip there means a missing install
step (an extra, Debian chromium, ../shared/data). The skips are collected from every
report, collection included (a module that skips as a whole), listed at the end of the
run, and the exit status becomes "tests failed"."""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportgen.cli import cli
from reportgen.demo import EXAMPLE_RUN, example_files
from reportgen.ingest import ingest

ROOT = Path(__file__).resolve().parent.parent
# how tests/fixtures/site/xss-items.csv names its columns
XSS_MAP = {"paper": "paper", "reference_answer": "reference", "base_answer": "base", "finetuned_answer": "finetuned"}
CHROMIUM = "/usr/bin/chromium"  # Debian's (make chromium); Playwright downloads no browser


# ---------------------------------------------------------------------------- CI: skips fail

def _under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


_SKIPS: list[tuple[str, str]] = []


def _note_skip(report) -> None:
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        _SKIPS.append((report.nodeid, reason))


def pytest_collectreport(report):
    _note_skip(report)


def pytest_runtest_logreport(report):
    _note_skip(report)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    if _under_ci() and _SKIPS and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter):
    if _under_ci() and _SKIPS:
        terminalreporter.section("CI=true: every skip fails the run (install what it names)", red=True)
        for nodeid, reason in _SKIPS:
            terminalreporter.line(f"{nodeid}: {reason}", red=True)


# ---------------------------------------------------------------------------- the example


@pytest.fixture(scope="session")
def example_csv() -> Path:
    return example_files()[0]


@pytest.fixture(scope="session")
def example_log() -> Path:
    return example_files()[1]


@pytest.fixture(scope="session")
def _example_db_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("example") / "example.duckdb"
    ingest(path, example_files(), run=EXAMPLE_RUN)
    return path


@pytest.fixture
def example_db(_example_db_template, tmp_path) -> Path:
    """A fresh copy of a database holding the bundled example (run 'llama31-8b-paper-qa')."""
    path = tmp_path / "example.duckdb"
    shutil.copy(_example_db_template, path)
    return path


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def invoke(runner, monkeypatch, tmp_path):
    """Run the CLI in-process: invoke("stats", "--db", db) -> click Result."""
    monkeypatch.delenv("REPORTGEN_DB", raising=False)

    def _invoke(*args, input=None):
        return runner.invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)
    return _invoke


# ---------------------------------------------------------------------------- helpers


def sha256(db: Path) -> str:
    """A digest of a database: its file and its write-ahead log (DuckDB commits to the .wal first)."""
    h = hashlib.sha256()
    for path in (db, db.with_name(db.name + ".wal")):
        h.update(path.name.encode() + (b"\0" + path.read_bytes() if path.exists() else b"\0<absent>"))
    return h.hexdigest()


def tree(folder: Path, *, skip_search: bool = False) -> dict[str, str]:
    """{path: sha256} of every file under ``folder``; with skip_search, without Pagefind's bundle
    (nor its names in the site's manifest)."""
    from reportgen.site import MANIFEST
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        if not p.is_file() or (skip_search and rel.startswith("pagefind/")):
            continue
        data = p.read_bytes()
        if skip_search and rel == MANIFEST:
            data = b"".join(line for line in data.splitlines(True) if not line.startswith(b"pagefind/"))
        out[rel] = hashlib.sha256(data).hexdigest()
    return out


_LIBC = ctypes.CDLL(None, use_errno=True)


def honour_permissions() -> None:
    """A subprocess's preexec_fn: as root (CI runs as root), drop the capabilities that let root ignore
    file permissions (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER) from the bounding set, so the
    command after exec meets a read-only file or folder like any user. Other users: nothing to do."""
    if os.geteuid() == 0:
        for cap in (1, 2, 3):
            if _LIBC.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def browser():
    """Headless Debian chromium driven by Playwright, one per test module."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (make chromium)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        yield b
        b.close()
