"""Find the folders that ship with reportgen (sql/, templates/, examples/), and reportgen's cache.

In a built wheel they live in ``reportgen/_data/``; in a source checkout or an
editable install they are the top-level folders of the repository."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@cache
def resource_dir(name: str) -> Path:
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"reportgen is installed without its {name}/ folder")


def example_dir() -> Path:
    return resource_dir("examples") / "llama31-8b-paper-qa"


def cache_dir(name: str) -> Path:
    """A folder of reportgen's cache (not created here): ``$REPORTGEN_CACHE/<name>``, else
    ``$XDG_CACHE_HOME/reportgen/<name>`` (``~/.cache/reportgen/<name>``)."""
    if os.environ.get("REPORTGEN_CACHE"):
        return Path(os.environ["REPORTGEN_CACHE"]) / name
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "reportgen" / name
