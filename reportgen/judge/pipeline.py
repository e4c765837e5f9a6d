"""Host work beside the model, so that a GPU never waits for Python or DuckDB.

``ahead`` prepares the next item (render both prompts, tokenize them) on a helper thread
while the caller evaluates the current one. ``Writer`` commits judged items on a thread of
its own: whatever has been judged when it gets to it goes into one transaction, so each
commit costs the model nothing and a slow one (a large run's failure categories) makes the
next batch larger instead of the judge slower. Each item stays whole (its verdict and its
two order rows are in the same transaction), so a ``kill -9`` loses at most the items
judged since the last commit, and the next run judges exactly those again.

llama.cpp's evaluation and DuckDB's queries release the GIL, so the threads overlap."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

_STOP = object()


def ahead(items: Iterable[T], fn: Callable[[T], R]) -> Iterator[R]:
    """``fn(item)`` for each item in order, the next one computed on a helper thread while the
    caller works on the current one. Close the iterator (or exhaust it) to stop the helper."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reportgen-prepare")
    try:
        pending: Future | None = None
        for item in items:
            nxt = pool.submit(fn, item)
            if pending is not None:
                yield pending.result()
            pending = nxt
        if pending is not None:
            yield pending.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


class DaemonPool:
    """``fn(item)`` on ``workers`` daemon threads, each call's result in a Future. Unlike a
    ThreadPoolExecutor, whose threads the interpreter joins at exit, nothing waits for a call that
    never returns (a request to a server that hangs): ``shutdown`` cancels what has not started and
    returns at once, and the process can exit with calls still running."""

    def __init__(self, workers: int, fn: Callable):
        self._fn = fn
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._workers = workers
        for i in range(workers):
            threading.Thread(target=self._work, name=f"reportgen-judge-{i}", daemon=True).start()

    def submit(self, item) -> Future:
        future: Future = Future()
        self._jobs.put((future, item))
        return future

    def shutdown(self) -> None:
        while True:                  # the calls not started yet; a running one is left to finish or hang
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is not _STOP:
                job[0].cancel()
        for _ in range(self._workers):
            self._jobs.put(_STOP)

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is _STOP:
                return
            future, item = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = self._fn(item)
            except BaseException as exc:  # noqa: BLE001 - handed to whoever waits on the future
                future.set_exception(exc)
            else:
                future.set_result(result)


class Writer:
    """Calls ``commit(batch)`` on its own thread with every item ``put`` since the last call (at
    most ``max_batch`` of them), in order. The first error stops it; ``put`` and ``close`` raise it
    in the caller's thread. ``failed`` is set once that error is recorded: from then on ``put``
    raises it and nothing more is committed (the tests wait on it instead of on a moment)."""

    def __init__(self, commit: Callable[[list], None], max_batch: int | None = None):
        self._commit = commit
        self._max = max_batch
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._error: BaseException | None = None
        self.failed = threading.Event()
        self._thread = threading.Thread(target=self._run, name="reportgen-commit", daemon=True)
        self._thread.start()

    def put(self, item) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(item)

    def close(self, *, raise_error: bool = True) -> None:
        """Commit what is still queued, stop the thread; raise its error (unless ``raise_error`` is False)."""
        self._queue.put(_STOP)
        self._thread.join()
        if raise_error and self._error is not None:
            raise self._error

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while self._max is None or len(batch) < self._max:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stop = batch[-1] is _STOP
            if stop:
                batch.pop()
            if batch and self._error is None:
                try:
                    self._commit(batch)
                except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                    self._error = exc
                    self.failed.set()
            if stop:
                return
