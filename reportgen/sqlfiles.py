"""SQL lives in ``sql/**/*.sql``; a query's name is its path without ``.sql``
(``report/overall``, ``categories/source_citation``). The first line of every file is a
``--`` comment saying what it computes."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from reportgen.resources import resource_dir


@dataclass(frozen=True)
class SqlFile:
    name: str
    path: Path
    text: str

    @property
    def description(self) -> str:
        first = self.text.lstrip().splitlines()[0] if self.text.strip() else ""
        return first[2:].strip() if first.startswith("--") else ""

    @property
    def short_name(self) -> str:
        return self.name.rsplit("/", 1)[-1]


@cache
def all_sql() -> dict[str, SqlFile]:
    root = resource_dir("sql")
    files: dict[str, SqlFile] = {}
    for path in sorted(root.rglob("*.sql")):
        name = path.relative_to(root).with_suffix("").as_posix()
        files[name] = SqlFile(name, path, path.read_text(encoding="utf-8"))
    return files


def sql(name: str) -> str:
    try:
        return all_sql()[name].text
    except KeyError:
        raise KeyError(f"no SQL file named {name!r} in {resource_dir('sql')}") from None


def group(prefix: str) -> list[SqlFile]:
    """Every file under ``sql/<prefix>/``, sorted by name."""
    return [f for n, f in all_sql().items() if n.startswith(prefix + "/")]
