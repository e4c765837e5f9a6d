"""A fake judge backend for tests: the same protocol as LocalJudge/EndpointJudge, no model.
Its verdict is a rule on the two answers it finds in the prompt (first, second) -> P(first better)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable

from reportgen.judge.base import OrderScore
from reportgen.judge.prompt import ChatFormat

_ANSWERS = re.compile(r"Answer A:\n(.*)\n\nAnswer B:\n(.*)\n\nWhich answer", re.S)


def prefers_first(a: str, b: str) -> float:
    return 0.9


def prefers_longer(a: str, b: str) -> float:
    return 0.8 if len(a) > len(b) else 0.2


class FakeJudge:
    kind = "local"
    concurrency = 1
    is_default_model = False

    def __init__(self, rule: Callable[[str, str], float] = prefers_longer, *, mass: float = 0.9,
                 name: str = "local:fake", sha: str = "fake-sha", fail_after: int | None = None,
                 concurrency: int = 1):
        self.rule, self.mass = rule, mass
        self.judge_name, self.model, self.model_sha256 = name, "fake.gguf", sha
        self.chat = ChatFormat(None)
        self.parameters = {"fake": True}
        self.prompts: list[str] = []
        self.fail_after = fail_after
        self.concurrency = concurrency
        self.explained: list[str] = []

    def score(self, prompt: str) -> OrderScore:
        if self.fail_after is not None and len(self.prompts) >= self.fail_after:
            raise KeyboardInterrupt
        self.prompts.append(prompt)
        m = _ANSWERS.search(prompt)
        assert m, "the prompt does not show Answer A and Answer B"
        return OrderScore(self.rule(m.group(1), m.group(2)), self.mass, len(prompt) // 4, len(prompt) // 8, 0.01)

    def explain(self, prompt: str) -> str:
        self.explained.append(prompt)
        return "it follows the reference."

    def close(self) -> None:
        pass


class FixedBatches:
    """A stand-in for the judge's commit thread that commits exactly every ``size`` items (the rest at
    close), in the caller's thread: the real batching depends on timing, this one on nothing, so a
    crash test can place a kill inside a multi-item transaction."""

    def __init__(self, commit: Callable[[list], None], size: int):
        self._commit, self._size, self._batch = commit, size, []

    def put(self, item) -> None:
        self._batch.append(item)
        if len(self._batch) == self._size:
            batch, self._batch = self._batch, []
            self._commit(batch)

    def close(self, *, raise_error: bool = True) -> None:
        if self._batch:
            batch, self._batch = self._batch, []
            self._commit(batch)


def fixed_batches(size: int) -> Callable:
    """``reportgen.judge.Writer``'s replacement committing every ``size`` items."""
    return lambda commit, max_batch=None: FixedBatches(commit, size)


if __name__ == "__main__":
    # `python tests/judge_fake.py judge --db DB …`: the real CLI, with this judge in place of the model
    # (the crash tests kill it as a subprocess).
    import reportgen.judge.worker as worker
    from reportgen.cli import main

    worker.LocalJudgeProcess = lambda *args, **kwargs: FakeJudge()
    if os.environ.get("FAKE_JUDGE_BATCH"):            # commit every N items (crash tests)
        import reportgen.judge
        reportgen.judge.Writer = fixed_batches(int(os.environ["FAKE_JUDGE_BATCH"]))
    main()
