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
    """Items queued behind a commit that fails are never committed, and put() raises the error
    once it is recorded (Writer.failed), as close() does."""
    entered, release = threading.Event(), threading.Event()
    batches = []

    def commit(batch):
        batches.append(list(batch))
        if len(batches) == 1:
            entered.set()
            assert release.wait(WAIT)
            raise OSError("disk full")

    w = Writer(commit)
    w.put(0)
    assert entered.wait(WAIT)          # the commit of [0] runs, and is going to fail
    w.put(1)                           # queued behind it before it fails: never to be committed
    w.put(2)
    release.set()
    assert w.failed.wait(WAIT), "the failed commit was not recorded"
    with pytest.raises(OSError, match="disk full"):
        w.put(3)
    with pytest.raises(OSError, match="disk full"):
        w.close()
    assert batches == [[0]]            # one commit: nothing after the failure


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
    """One item per commit; the second item's commit fails while the third waits behind it and the
    backend holds the fourth until the failure is recorded. Then exactly: the first item's verdict
    (both orders) is kept, the third is not committed, and the judge stops after the fourth item's
    two prompts (the put of its result raises)."""
    import reportgen.judge as judge_mod
    from reportgen import categories
    monkeypatch.setenv("REPORTGEN_JUDGE_MAX_BATCH", "1")
    writers: list[Writer] = []

    class Recorded(Writer):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            writers.append(self)

    fourth_item = threading.Event()
    refreshes = []
    real = categories.refresh

    def refresh(con, run_id, **kwargs):           # the last step of each commit's transaction
        refreshes.append(run_id)
        if len(refreshes) == 2:                    # the second item's commit
            assert fourth_item.wait(WAIT)          # the third item is queued behind it by now
            raise duckdb.IOException("simulated write error")
        real(con, run_id, **kwargs)

    class Held(FakeJudge):
        def score(self, prompt):
            if len(self.prompts) == 6:             # the fourth item's first order: the third was put
                fourth_item.set()
                assert writers[0].failed.wait(WAIT), "the failed commit was not recorded"
            return super().score(prompt)

    monkeypatch.setattr(categories, "refresh", refresh)
    monkeypatch.setattr(judge_mod, "Writer", Recorded)
    judge = Held()
    with pytest.raises(duckdb.IOException, match="simulated"):
        judge_run(example_db, judge, run=RUN, limit=20)
    assert len(judge.prompts) == 8                 # items 1-4 scored; nothing after the failure
    assert len(refreshes) == 2                     # no commit after the failed one
    with duckdb.connect(str(example_db), read_only=True) as con:
        seqs = con.execute("SELECT list(seq ORDER BY seq) FROM verdicts WHERE judge = 'local:fake'").fetchone()[0]
        orders = con.execute("SELECT count(*), count(DISTINCT item_key) FROM judge_orders").fetchone()
    assert seqs == [0]                             # the first item only
    assert orders == (2, 1)                        # with both of its orders; none of the failed one
    monkeypatch.setattr(categories, "refresh", real)
    assert judge_run(example_db, FakeJudge(), run=RUN, limit=19).judged == 19
    with duckdb.connect(str(example_db), read_only=True) as con:
        seqs = con.execute("SELECT list(seq ORDER BY seq) FROM verdicts WHERE judge = 'local:fake'").fetchone()[0]
        orders = con.execute("SELECT count(*), count(DISTINCT (item_key, ord)) FROM judge_orders").fetchone()
    assert seqs == list(range(20)) and orders == (40, 40)
