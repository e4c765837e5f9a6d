"""The package's import structure: every module imports on its own in a fresh interpreter, and
the modules import each other without a circle (a circle leaves a module half-initialised
when the import starts from the wrong end)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "reportgen"


def module_names(package: Path = PACKAGE) -> dict[str, Path]:
    """``reportgen.x.y`` → its file, for every module and package of ``package``."""
    out = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _ancestors(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The modules of the package that ``name`` imports, at its top or inside a function. Importing
    ``a.b.c`` runs the packages ``a`` and ``a.b`` first, so they count too, except the packages
    ``name`` itself lives in (they are imported before it anyway)."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                here = name.split(".") if is_package else name.split(".")[:-1]
                here = here[:len(here) - node.level + 1]
                base = ".".join(here + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            if target in modules:
                found |= {target, *_ancestors(target)}
    return (found & set(modules)) - {name, *_ancestors(name)}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One circle of the graph as a path that starts and ends at the same module, or None."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    modules = module_names(package)
    return {name: imports(name, path, modules) for name, path in modules.items()}


def _package(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root / "pkg"


def test_the_graph_sees_the_circles_that_break_imports(tmp_path):
    """The two circles this package had or could have: command modules importing each other, and a
    module that imports a package whose __init__ imports that module back (through a submodule)."""
    cli = _package(tmp_path / "a", {"pkg/__init__.py": "", "pkg/cli.py": "from pkg.cli_site import build\n",
                                     "pkg/cli_site.py": "def build():\n    from pkg.cli import with_db\n"})
    assert find_cycle(import_graph(cli)) == ["pkg.cli", "pkg.cli_site", "pkg.cli"]
    site = _package(tmp_path / "b", {
        "pkg/__init__.py": "", "pkg/render.py": "from pkg.site.model import Page\n",
        "pkg/site/__init__.py": "from pkg.site.builder import build\n", "pkg/site/model.py": "",
        "pkg/site/builder.py": "from pkg.site import model\nfrom . import model\nfrom ..render import render\n"})
    graph = import_graph(site)
    assert graph["pkg.render"] == {"pkg.site", "pkg.site.model"}
    assert graph["pkg.site.builder"] == {"pkg.site.model", "pkg.render"}  # its own package is no edge
    assert find_cycle(graph) == ["pkg.render", "pkg.site", "pkg.site.builder", "pkg.render"]
    (site / "render.py").write_text("", encoding="utf-8")
    assert find_cycle(import_graph(site)) is None


def test_the_package_imports_form_no_circle():
    graph = import_graph()
    assert {"reportgen.cli", "reportgen.cli_common", "reportgen.site", "reportgen.site.gathering"} <= set(graph)
    # The graph sees what it should: the CLI registers the site commands, the builder its jobs (the
    # site package imports its modules only when a name is asked for: reportgen.site.__getattr__).
    assert "reportgen.cli_site" in graph["reportgen.cli"] and "reportgen.site.writer" in graph["reportgen.site.builder"]
    assert "reportgen.site" in graph["reportgen.cli_site"]  # imported inside the command functions
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


# reportgen.__main__ runs the CLI when imported (`python -m reportgen` runs in test_hardening_site).
@pytest.mark.parametrize("module", sorted(m for m in module_names() if m != "reportgen.__main__"))
def test_every_module_imports_in_a_fresh_interpreter(module):
    proc = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True, timeout=120,
                          cwd=PACKAGE.parent)
    assert proc.returncode == 0, proc.stderr.strip().splitlines()[-1:]
