"""Find the folders that ship with reportgen (sql/, templates/, examples/).

In a built wheel they live in ``reportgen/_data/``; in a source checkout or an
editable install they are the top-level folders of the repository."""

from __future__ import annotations

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
