"""Host work off the judge's critical path (no model): the next item is prepared on a helper
thread, verdicts are committed by a writer thread in whole-item batches."""

from __future__ import annotations

import threading

import duckdb
import pytest

from judge_fake import FakeJudge
from reportgen.judge import judge_run
from reportgen.judge.pipeline import Writer, ahead

RUN = "llama31-8b-paper-qa"
WAIT = 60   # seconds; only a bound for a broken implementation, never reached when it works


def test_ahead_prepares_the_next_item_while_the_caller_holds_this_one():
    started = {i: threading.Event() for i in range(4)}
    threads = []

    def prepare(i):
        threads.append(threading.current_thread().name)
        started[i].set()
        return i * 10

    seen = []
    for value in ahead(range(4), prepare):
        i = value // 10
        seen.append(value)
        if i < 3:
            assert started[i + 1].wait(WAIT), f"item {i + 1} was not prepared while item {i} was in use"
    assert seen == [0, 10, 20, 30]
    assert all(name.startswith("reportgen-prepare") for name in threads)


def test_ahead_raises_the_error_of_the_item_it_belongs_to():
    def prepare(i):
        if i == 2:
            raise ValueError("bad item 2")
        return i
    got = []
    with pytest.raises(ValueError, match="bad item 2"):
        for value in ahead(range(5), prepare):
            got.append(value)
    assert got == [0, 1]


def test_writer_batches_what_queued_while_it_committed():
    entered, release = threading.Event(), threading.Event()
    batches = []

    def commit(batch):
        batches.append(list(batch))
        if len(batches) == 1:
            entered.set()
            assert release.wait(WAIT)

    w = Writer(commit)
    w.put(0)
    assert entered.wait(WAIT)          # the first commit is running
    for i in range(1, 5):
        w.put(i)                       # these queue up behind it
    release.set()
    w.close()
    assert batches == [[0], [1, 2, 3, 4]]


def test_writer_stops_at_the_first_error_and_raises_it_in_the_caller():
    committed = []

    def commit(batch):
        if 2 in batch:
            raise OSError("disk full")
        committed.extend(batch)

    w = Writer(commit)
    for i in range(3):
        w.put(i)
    with pytest.raises(OSError, match="disk full"):
        w.close()
    assert 2 not in committed and committed == sorted(committed)


def test_prepared_prompts_reach_the_backend(example_db):
    class Preparing(FakeJudge):
        def __init__(self):
            super().__init__()
            self.prepared_on = set()

        def prepare(self, prompt):
            self.prepared_on.add(threading.current_thread().name)
            return ("tokens", prompt)

        def score(self, prepared):
            assert prepared[0] == "tokens"
            return super().score(prepared[1])

    judge = Preparing()
    assert judge_run(example_db, judge, run=RUN, limit=4).judged == 4
    assert len(judge.prompts) == 8
    assert judge.prepared_on and all(n.startswith("reportgen-prepare") for n in judge.prepared_on)


def test_the_next_item_is_scored_while_the_last_one_commits(example_db, monkeypatch):
    """The first commit waits until the backend has scored the second item: with commits on the
    judging thread this could never happen (the wait would run out and record False)."""
    import reportgen.judge as judge_mod
    second_scored = threading.Event()
    waited = []
    real = judge_mod._commit

    def slow_commit(*args):
        if not waited:
            waited.append(second_scored.wait(WAIT))
        real(*args)

    class Watching(FakeJudge):
        def score(self, prompt):
            result = super().score(prompt)
            if len(self.prompts) == 4:       # both orders of the second item
                second_scored.set()
            return result

    monkeypatch.setattr(judge_mod, "_commit", slow_commit)
    assert judge_run(example_db, Watching(), run=RUN, limit=3).judged == 3
    assert waited == [True]


def test_a_failed_commit_stops_the_run_and_keeps_only_whole_items(example_db, monkeypatch):
    from reportgen import categories
    calls = {"n": 0}
    real = categories.refresh

    def refresh(con, run_id, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise duckdb.IOException("simulated write error")
        real(con, run_id, **kwargs)

    monkeypatch.setattr(categories, "refresh", refresh)
    with pytest.raises(duckdb.IOException, match="simulated"):
        judge_run(example_db, FakeJudge(), run=RUN, limit=20)
    with duckdb.connect(str(example_db), read_only=True) as con:
        verdicts = con.execute("SELECT count(*) FROM verdicts WHERE judge = 'local:fake'").fetchone()[0]
        orders = con.execute("SELECT count(*), count(DISTINCT item_key) FROM judge_orders").fetchone()
    assert 1 <= verdicts < 20
    assert orders == (2 * verdicts, verdicts)          # every committed verdict with both of its orders
    assert judge_run(example_db, FakeJudge(), run=RUN, limit=20 - verdicts).judged == 20 - verdicts
