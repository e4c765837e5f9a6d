"""The local judge's model in a process of its own.

llama.cpp and the libraries reportgen keeps and reads its data with (duckdb, polars,
pyarrow) all carry C++ code, and there are builds of llama-cpp-python whose C++ runtime
cannot share a process with theirs. On a lent GPU machine, a CUDA build of llama-cpp-python
crashed (``free(): invalid pointer``) in llama.cpp's tokenizer when duckdb had been loaded
first, and in duckdb and polars when llama.cpp had. No import order is safe, so the model
lives in a child process (this module run as ``__main__``) that loads llama.cpp first
and none of the data stack; ``LocalJudgeProcess``, what ``reportgen judge`` uses, sends it
prompts and gets per-order scores back over a socket.

The child tokenizes on one thread and evaluates on another, so the next item's prompts are
tokenized while the current one is evaluated (``judge_run`` prepares one item ahead). It
ignores Ctrl-C (the parent decides when to stop) and exits as soon as the parent's end of
the socket closes, also when the parent was killed. Messages are pickled tuples of built-in
types and ``OrderScore``:

    parent -> child   the LocalJudge keyword arguments, then (id, op, argument) with op one
                      of prepare, score, explain, modules; None to stop
    child -> parent   ("ready", identity) or ("error", kind, details...) once, then
                      (id, True, result) or (id, False, (kind, details...)); kind is PromptTooLong,
                      the name of a reportgen error class, or Error (``_describe``, ``_error``)
"""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
from concurrent.futures import Future
from multiprocessing.connection import Connection
from pathlib import Path

from reportgen import errors
from reportgen.errors import UsageError
from reportgen.judge.base import OrderScore, PromptTooLong
from reportgen.judge.prompt import LOCAL_CHAT_FIX, ChatFormat

#: The data stack that must never be imported into the model's process.
DATA_STACK = ("duckdb", "polars", "pyarrow")

# The child's command (run with -P: no current directory on sys.path): this module as __main__, with the
# folder of the parent's reportgen first on sys.path unless it is there already (site-packages, say), so
# that both sides run the same reportgen.
_BOOT = ("import runpy, sys; folder, fd = sys.argv[1:]; sys.path.insert(0, folder) if folder not in sys.path "
         "else None; sys.argv = ['reportgen.judge.worker', fd]; "
         "runpy.run_module('reportgen.judge.worker', run_name='__main__')")


class LocalJudgeProcess:
    """The local judge (``local.LocalJudge``) run in a child process; the same backend interface."""

    kind = "local"
    concurrency = 1

    def __init__(self, model_path: Path | None = None, *, threads: int | None = None, seed: int = 0,
                 n_ctx: int | None = None, gpu_layers: int = 0, flash_attn: str = "auto", batch: int | None = None):
        ours, theirs = socket.socketpair()
        package_parent = str(Path(__file__).resolve().parents[2])   # so that the child finds this reportgen
        try:
            # a session of its own: a Ctrl-C in the terminal reaches the parent only, which decides
            self._proc = subprocess.Popen([sys.executable, "-P", "-c", _BOOT, package_parent, str(theirs.fileno())],
                                          pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
                                          stdout=subprocess.DEVNULL, start_new_session=True)
        except OSError as exc:
            ours.close()
            raise UsageError(f"cannot start the judge's model process ({exc.strerror or exc})") from None
        finally:
            theirs.close()
        self._conn = Connection(ours.detach())
        self._send_lock = threading.Lock()
        self._pending: dict[int, Future] = {}
        self._next_id = 0
        self._stopped: UsageError | None = None    # set once the child is gone: every later call raises it
        self._closing = False
        self._reader: threading.Thread | None = None
        try:
            self._conn.send({"model_path": str(model_path) if model_path is not None else None, "threads": threads,
                             "seed": seed, "n_ctx": n_ctx, "gpu_layers": gpu_layers, "flash_attn": flash_attn,
                             "batch": batch})
            first = self._conn.recv()
        except (EOFError, OSError):
            raise self._died("while loading the model") from None
        except BaseException:         # Ctrl-C while the model loads: the child must not load on alone
            self._proc.kill()
            self._proc.wait()
            self._conn.close()
            raise
        if first[0] == "error":
            self.close()
            raise _error(first[1:])
        info = first[1]
        for name in ("model", "model_sha256", "judge_name", "parameters", "n_ctx", "is_default_model", "threads",
                     "gpu_layers", "flash_attn", "batch", "letter_ids"):
            setattr(self, name, info[name])
        self.path = Path(info["path"])
        self.chat = ChatFormat(info["chat_template"], eos_token=info["eos_token"], source=info["path"],
                               fix=LOCAL_CHAT_FIX)
        self._reader = threading.Thread(target=self._read, name="judge-worker-reader", daemon=True)
        self._reader.start()

    def _died(self, when: str) -> UsageError:
        try:
            code = self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            code = None
        how = (f"killed by signal {-code}" if code is not None and code < 0 else
               f"exit code {code}" if code is not None else "no exit code")
        return UsageError(f"the judge's model process stopped {when} ({how}); its messages are above")

    def _read(self) -> None:
        broken = None
        while True:
            try:
                rid, ok, payload = self._conn.recv()
            except (EOFError, OSError):
                break
            except Exception as exc:  # noqa: BLE001 - a message that does not unpickle: stop, fail every call
                broken = UsageError(f"the judge's model process sent what reportgen cannot read ({exc})")
                self._proc.kill()
                break
            with self._send_lock:
                future = self._pending.pop(rid, None)
            if future is None:
                continue
            if ok:
                future.set_result(payload)
            else:
                future.set_exception(_error(payload))
        error = broken or (UsageError("the judge's model process was closed") if self._closing
                           else self._died("while judging"))
        with self._send_lock:
            self._stopped = error
            pending, self._pending = list(self._pending.values()), {}
        for future in pending:
            future.set_exception(error)

    def _call(self, op: str, arg=None):
        future: Future = Future()
        with self._send_lock:
            if self._stopped is not None:
                raise self._stopped
            rid, self._next_id = self._next_id, self._next_id + 1
            self._pending[rid] = future
            try:
                self._conn.send((rid, op, arg))
            except OSError:
                self._pending.pop(rid, None)
                self._stopped = self._died("while judging")
                raise self._stopped from None
        return future.result()

    def prepare(self, prompt: str) -> list[int]:
        """The prompt's tokens (on the child's tokenizer thread, alongside an evaluation)."""
        return self._call("prepare", prompt)

    def score(self, prompt: str | list[int]) -> OrderScore:
        return self._call("score", prompt)

    def explain(self, prompt: str) -> str:
        return self._call("explain", prompt)

    def modules(self) -> list[str]:
        """The child's ``sys.modules``, in the order they were imported (for tests)."""
        return self._call("modules")

    def close(self) -> None:
        proc = getattr(self, "_proc", None)
        if proc is None or self._closing:
            return
        self._closing = True
        try:
            with self._send_lock:
                self._conn.send(None)
        except OSError:
            pass
        try:
            proc.wait(timeout=5)         # it stops after the evaluation in progress; nothing in it needs saving
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if self._reader is not None:
            self._reader.join(timeout=5)      # it sees the end of the socket and stops
        self._conn.close()

    def __enter__(self) -> LocalJudgeProcess:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _error(payload: tuple) -> Exception:
    kind, *details = payload
    if kind == "PromptTooLong":
        return PromptTooLong(*details)
    cls = getattr(errors, kind, None)
    if isinstance(cls, type) and issubclass(cls, errors.ReportgenError):
        message, path, line = details
        return cls(message, path=path, line=line)
    return UsageError(f"the judge's model process failed: {details[0]}")


def _describe(exc: BaseException) -> tuple:
    """An exception of the child as plain values (its own class need not unpickle in the parent)."""
    if isinstance(exc, PromptTooLong):
        return ("PromptTooLong", exc.tokens, exc.n_ctx)
    if isinstance(exc, OSError):
        exc = errors.FileSystemError.from_os_error(exc)
    if isinstance(exc, errors.ReportgenError):
        return (type(exc).__name__, exc.message, exc.path, exc.line)
    return ("Error", f"{type(exc).__name__}: {exc}")


def _send(conn: Connection, message) -> None:
    """Send to the parent; if it is gone, nobody wants the rest."""
    try:
        conn.send(message)
    except OSError:
        os._exit(0)


def _exit_when_the_parent_goes(conn: Connection, loaded: threading.Event) -> None:
    """While the model loads, the parent sends nothing: the socket turning readable then means it went away."""
    try:
        conn.poll(None)
    except OSError:
        pass
    if not loaded.is_set():
        os._exit(0)


def serve(conn: Connection) -> None:
    """The child's side: load the model, then answer requests until the parent says stop or goes away."""
    try:
        import llama_cpp  # noqa: F401  (first: its libraries load before numpy, which it imports itself)
    except Exception:  # noqa: BLE001 - LocalJudge reports a missing or broken llama-cpp-python
        pass
    from reportgen.judge.local import LocalJudge

    try:
        kwargs = conn.recv()
    except (EOFError, OSError):
        os._exit(0)
    loaded = threading.Event()
    threading.Thread(target=_exit_when_the_parent_goes, args=(conn, loaded), daemon=True).start()
    try:
        judge = LocalJudge(**kwargs)
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which raises it
        _send(conn, ("error", *_describe(exc)))
        return
    loaded.set()
    _send(conn, ("ready", {"model": judge.model, "model_sha256": judge.model_sha256, "judge_name": judge.judge_name,
                         "parameters": judge.parameters, "n_ctx": judge.n_ctx,
                         "is_default_model": judge.is_default_model, "threads": judge.threads,
                         "gpu_layers": judge.gpu_layers, "flash_attn": judge.flash_attn, "batch": judge.batch,
                         "letter_ids": judge.letter_ids, "path": str(judge.path),
                         "chat_template": judge.chat.chat_template, "eos_token": judge.chat.eos_token}))
    send_lock = threading.Lock()
    ops = {"prepare": judge.prepare, "score": judge.score, "explain": judge.explain,
           "modules": lambda _: list(sys.modules)}

    def work(requests: queue.Queue) -> None:
        while (request := requests.get()) is not None:
            rid, op, arg = request
            try:
                reply = (rid, True, ops[op](arg))
            except Exception as exc:  # noqa: BLE001 - every failure goes back to the parent
                reply = (rid, False, _describe(exc))
            with send_lock:
                try:
                    conn.send(reply)
                except OSError:
                    os._exit(0)
                except Exception as exc:  # noqa: BLE001 - a result that does not pickle: say so instead
                    _send(conn, (rid, False, _describe(exc)))

    tokenizing, evaluating = queue.Queue(), queue.Queue()
    threads = [threading.Thread(target=work, args=(q,), daemon=True) for q in (tokenizing, evaluating)]
    for t in threads:
        t.start()
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            os._exit(0)           # the parent is gone: nobody wants the rest
        if request is None:
            break
        (tokenizing if request[1] in ("prepare", "modules") else evaluating).put(request)
    for q in (tokenizing, evaluating):
        q.put(None)
    for t in threads:
        t.join()
    judge.close()


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    serve(Connection(int(sys.argv[1])))
