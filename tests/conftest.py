"""Shared fixtures and helpers: the bundled example files, a database with the example
ingested, a CLI runner, a database digest, a site's file tree, a free port and a server started on one,
Chromium, and Hypothesis's settings (the same examples on every run).

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
import subprocess
import time
from collections.abc import Callable
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


# ---------------------------------------------------------------------------- Hypothesis: the same examples

try:
    from hypothesis import HealthCheck, settings as _hypothesis
except ImportError:  # pragma: no cover - a test extra
    pass
else:
    # A clean clone (CI) has no .hypothesis database, so random examples would differ on every run: the
    # examples follow from each test alone (derandomize), nothing is stored, and no check depends on speed
    # (no deadline, no too_slow). REPORTGEN_HYPOTHESIS_PROFILE=explore draws new random examples (locally,
    # to hunt for bugs; a failure then prints the blob that reproduces it).
    _hypothesis.register_profile("deterministic", derandomize=True, database=None, deadline=None,
                                 print_blob=True, suppress_health_check=[HealthCheck.too_slow])
    _hypothesis.register_profile("explore", deadline=None, print_blob=True,
                                 suppress_health_check=[HealthCheck.too_slow])
    _hypothesis.load_profile(os.environ.get("REPORTGEN_HYPOTHESIS_PROFILE") or "deterministic")


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
    """A 127.0.0.1 port free now. It is given back before the caller's server binds it, so on a shared
    machine another process may take it first: start servers with ``start_server``, which retries."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


HANG = 600  # seconds; only turns a server that never answers (nor exits) into a failure, no speed limit


def start_server(argv: Callable[[int], list[str]], log: Path, ready: Callable[[int, str], bool], *,
                 tries: int = 5, port: Callable[[], int] = free_port, **popen) -> tuple[subprocess.Popen, int]:
    """Start ``argv(port)`` on a free port, its output in ``log``; return (process, port) once
    ``ready(port, what it logged)``. A server that exits with "address already in use" (another process
    took the port between ``free_port`` and its bind) is started again on another port, ``tries`` times
    in all; any other exit fails the test with its log."""
    for _ in range(tries):
        chosen = port()
        with log.open("w") as out:
            proc = subprocess.Popen(argv(chosen), stdout=out, stderr=subprocess.STDOUT, **popen)
        give_up = time.monotonic() + HANG
        while True:
            if proc.poll() is not None:
                text = log.read_text(errors="replace")
                if "address already in use" in text.lower():
                    break                                          # the next try, on another port
                pytest.fail(f"the server exited with status {proc.returncode}; its log:\n{text[-4000:]}")
            if ready(chosen, log.read_text(errors="replace")):
                return proc, chosen
            if time.monotonic() > give_up:
                proc.kill()
                proc.wait()
                pytest.fail(f"the server neither answered nor exited in {HANG} s (a hang: no speed is asserted); "
                            f"its log:\n{log.read_text(errors='replace')[-4000:]}")
            time.sleep(0.2)
    pytest.fail(f"{tries} ports in a row were taken before the server could bind them")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


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
