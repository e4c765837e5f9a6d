"""Shared fixtures: the bundled example files, a database with the example ingested,
a CLI runner, and a helper that hashes a database file."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportgen.cli import cli
from reportgen.demo import EXAMPLE_RUN, example_files
from reportgen.ingest import ingest

ROOT = Path(__file__).resolve().parent.parent


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


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "<absent>"
