"""Load llama.cpp's native libraries before anything else that links the C++ runtime.

A llama-cpp-python built by a compiler that links libstdc++ statically (CUDA images that
ship their own GCC do) carries a second copy of the C++ runtime inside libggml/libllama.
Its ``std::locale`` facet ids are GNU "unique" symbols that the dynamic linker shares with
the system libstdc++; when duckdb, polars, numpy or pyarrow brought the system copy in and
initialised it first, the tokenizer's ``std::regex`` in the static copy finds facets it
does not know and dies (SIGSEGV, ``free(): invalid pointer`` or ``std::bad_cast``).
Loaded first, the static copy initialises the shared ids itself and both copies work.
``tests/test_judge_preload.py`` reproduces the crash with a tiny library and checks the
order in every judge entry point.

``import reportgen.judge`` runs this first (``reportgen/judge/__init__.py``), so the Python
API, the benchmark and ``reportgen judge`` (whose entry point, ``reportgen/__main__.py``,
imports ``reportgen.judge`` before the rest of the CLI) all load llama.cpp first. Code that
imports duckdb, polars, numpy or pyarrow itself must import ``reportgen.judge`` before
them. A llama-cpp-python built with the system compiler (as ``pip install`` does on a
normal machine) links the shared libstdc++ and works in any order."""

from __future__ import annotations

#: Modules that load the system libstdc++ (directly or through their own libraries).
CXX_USERS = ("duckdb", "numpy", "polars", "pyarrow")


def preload() -> None:
    """Import llama_cpp, which loads its shared libraries, if it is installed."""
    try:
        import llama_cpp  # noqa: F401
    except Exception:  # noqa: BLE001 - not installed or broken: LocalJudge says so when it is asked for,
        pass           # and the endpoint judge does not need llama.cpp


preload()
