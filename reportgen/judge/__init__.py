"""The pairwise judge stage: judge every item of a run that has no verdict of this judge
yet, in both orders, and commit the verdicts as they come.

``judge_run`` is the one entry point; the backend (``LocalJudge``: a GGUF in this process,
``EndpointJudge``: an OpenAI-compatible server, or a fake in tests) only turns a prompt
into an ``OrderScore``. A writer thread commits what has been judged (``pipeline``), every
item whole (its verdict and its two per-order rows in one transaction), so Ctrl-C loses
nothing, ``kill -9`` only the items judged since the last commit, and a second run judges
only what is missing.

The package imports duckdb and polars only when ``judge_run`` runs: the local judge's
model process (``worker``) imports its modules, and must not load them (see ``worker``)."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from reportgen.errors import UsageError
from reportgen.judge.base import Backend, OrderScore, PromptTooLong, Verdict, combine
from reportgen.judge.pipeline import Writer, ahead
from reportgen.judge.prompt import JudgeTemplate, explain_prompt, pair_prompts

TIE_MARGIN = 0.1
MIN_LETTER_MASS = 0.5

# For tests only: REPORTGEN_TEST_SIGINT_AT=N makes judge_run raise SIGINT in its own (main) thread right
# after it hands its N-th judged item to the writer thread, so that a test places a Ctrl-C after an exact
# item instead of at a moment. (store's REPORTGEN_TEST_KILL_AT counts SQL statements, which run on the
# writer thread while judging: a SIGINT sent there reaches the main thread wherever it is by then, maybe
# an item further.) Unset, it costs one check per item.
_SIGINT_AT = int(os.environ.get("REPORTGEN_TEST_SIGINT_AT") or 0)


@dataclass
class Progress:
    done: int
    total: int
    tokens: int           # prompt tokens of both orders, cumulative
    seconds: float        # wall time so far
    item_key: str
    winner: str


@dataclass
class JudgeResult:
    judge: str
    run: str
    selected: int
    judged: int = 0
    winners: dict[str, int] = field(default_factory=dict)
    prompt_tokens: int = 0
    evaluated_tokens: int = 0
    seconds: float = 0.0
    already: int = 0      # items that had a verdict of this judge before (not selected again)


@dataclass(frozen=True)
class ItemResult:
    item: dict
    base_first: OrderScore | None
    finetuned_first: OrderScore | None
    verdict: Verdict
    rationale: str | None


def _run_id(con, run: str | None) -> tuple[int, str]:
    from reportgen import store
    names = [r[0] for r in store.run(con, "report/run_list")]
    if run is None:
        if len(names) != 1:
            listed = ", ".join(repr(n) for n in names) or "none yet"
            raise UsageError(f"pass --run NAME: the database holds {len(names)} runs ({listed})")
        run = names[0]
    row = store.run(con, "ingest/find_run", name=run)
    if not row:
        listed = ", ".join(repr(n) for n in names) or "none yet"
        raise UsageError(f"no run named {run!r} in the database (runs: {listed}); see 'reportgen runs'")
    return int(row[0][0]), run


def _check_identity(con, run_id: int, backend: Backend, template: JudgeTemplate, template_sha: str,
                    params: dict, rejudge: bool) -> None:
    """Record the judge; refuse to mix verdicts of a different model or template under one judge name."""
    from reportgen import categories, store
    row = store.run(con, "judge/find_judge", run_id=run_id, judge=backend.judge_name)
    if row:
        model, model_sha, old_template_sha, _, verdicts = row[0]
        changed = (model_sha != backend.model_sha256) or (old_template_sha != template_sha)
        if changed and verdicts and not rejudge:
            what = "model file" if model_sha != backend.model_sha256 else "prompt template"
            raise UsageError(f"judge {backend.judge_name!r} already judged {verdicts} items of this run with another "
                             f"{what}; pass --rejudge to redo them, or --name to judge under another name")
        if changed and verdicts:
            store.run(con, "judge/delete_judge_verdicts", run_id=run_id, judge=backend.judge_name)
            categories.refresh(con, run_id, items=False)
    store.run(con, "judge/upsert_judge", run_id=run_id, judge=backend.judge_name, backend=backend.kind,
              model=backend.model, model_sha256=backend.model_sha256, template=template.path.name,
              template_sha256=template_sha, parameters=json.dumps(params, sort_keys=True))


@dataclass(frozen=True)
class Prepared:
    """One item's two prompts, in the form the backend scores (``backend.prepare``: tokens for the local judge)."""
    item: dict
    base_first: object
    finetuned_first: object


class _Judging:
    """What judging one item takes: the templates, the thresholds and the backend."""

    def __init__(self, backend: Backend, template: JudgeTemplate, explain_template: JudgeTemplate | None,
                 tie_margin: float, min_mass: float):
        self.backend, self.template, self.explain_template = backend, template, explain_template
        self.tie_margin, self.min_mass = tie_margin, min_mass
        self._prepare = getattr(backend, "prepare", None) or (lambda prompt: prompt)

    def prepare(self, item: dict) -> Prepared:
        prompts = pair_prompts(self.template, self.backend.chat, item)
        return Prepared(item, self._prepare(prompts.base_first), self._prepare(prompts.finetuned_first))

    def score(self, p: Prepared) -> ItemResult:
        backend, item = self.backend, p.item
        try:
            one = backend.score(p.base_first)
            two = backend.score(p.finetuned_first)
        except PromptTooLong as exc:
            return ItemResult(item, None, None, Verdict("invalid", None, None, None, str(exc)), None)
        verdict = combine(one, two, tie_margin=self.tie_margin, min_mass=self.min_mass)
        rationale = None
        if self.explain_template is not None and verdict.winner == "base":
            try:
                text = backend.explain(explain_prompt(self.explain_template, backend.chat, item))
                rationale = f"The base answer is better because {text}" if text else None
            except PromptTooLong:
                rationale = None
        return ItemResult(item, one, two, verdict, rationale)

    def results(self, items: list[dict]) -> Iterator[ItemResult]:
        """Judge items one after the other (the next one prepared while this one is scored), or
        ``backend.concurrency`` at a time (results as they complete)."""
        if self.backend.concurrency <= 1:
            with closing(ahead(items, self.prepare)) as prepared:
                for p in prepared:
                    yield self.score(p)
            return
        pool = ThreadPoolExecutor(max_workers=self.backend.concurrency)

        def work(item: dict) -> ItemResult:
            return self.score(self.prepare(item))
        try:
            pending = iter(items)
            running = set()
            for item in pending:
                running.add(pool.submit(work, item))
                if len(running) >= self.backend.concurrency * 2:
                    break
            while running:
                done, running = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
                    nxt = next(pending, None)
                    if nxt is not None:
                        running.add(pool.submit(work, nxt))
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def _max_batch() -> int | None:
    """REPORTGEN_JUDGE_MAX_BATCH caps how many items one commit takes (default: all that are ready).
    With 1, every item commits on its own at the same SQL statements on every run, which the crash
    tests need to place their kills exactly."""
    value = os.environ.get("REPORTGEN_JUDGE_MAX_BATCH")
    return int(value) if value and value.isdigit() and int(value) > 0 else None


def _commit(con, run_id: int, judge: str, first_seq: int, batch: list[ItemResult], rejudge: bool) -> None:
    """One transaction for the batch: each item's verdict and both order rows, then the failure categories."""
    from reportgen import categories, store
    with store.transaction(con):
        for seq, r in enumerate(batch, start=first_seq):
            v = r.verdict
            key = r.item["item_key"]
            if rejudge:
                store.run(con, "judge/delete_item_verdict", run_id=run_id, judge=judge, item_key=key)
            store.run(con, "judge/insert_verdict", run_id=run_id, judge=judge, seq=seq, item_key=key,
                      winner=v.winner, confidence=v.confidence,
                      rationale=r.rationale or (v.reason if v.winner == "invalid" else None))
            for ord_, first, score in ((1, "base", r.base_first), (2, "finetuned", r.finetuned_first)):
                store.run(con, "judge/insert_order", run_id=run_id, judge=judge, item_key=key, ord=ord_,
                          first_answer=first, p_first=score.p_first if score else None,
                          letter_mass=score.letter_mass if score else None,
                          prompt_tokens=score.prompt_tokens if score else None,
                          evaluated_tokens=score.evaluated_tokens if score else None,
                          seconds=score.seconds if score else None)
        # hits change only with a base win (or a verdict replaced); the summaries with every verdict
        categories.refresh(con, run_id, hits=rejudge or any(r.verdict.winner == "base" for r in batch),
                           items=False)


def judge_run(db: Path, backend: Backend, *, run: str | None = None, template: Path | None = None,
              limit: int | None = None, only_paper: str | None = None, rejudge: bool = False,
              explain: bool = False, tie_margin: float = TIE_MARGIN, min_mass: float = MIN_LETTER_MASS,
              on_start: Callable[[JudgeResult], None] | None = None,
              progress: Callable[[Progress], None] | None = None) -> JudgeResult:
    """Judge the items of ``run`` that have no verdict of ``backend`` yet (``rejudge``: the selected
    items again), committing the verdicts on a writer thread as they come."""
    from reportgen import store
    if limit is not None and limit < 0:
        raise UsageError("--limit must be 0 or more")
    tmpl = JudgeTemplate(template)
    explain_tmpl = JudgeTemplate(name="explain.j2") if explain else None
    template_sha = JudgeTemplate.combined_sha(tmpl, backend.chat)
    params = {**backend.parameters, "backend": backend.kind, "tie_margin": tie_margin,
              "min_letter_mass": min_mass, "explain": explain}
    with store.open_db(db) as con:
        run_id, run_name = _run_id(con, run)
        with store.transaction(con):
            _check_identity(con, run_id, backend, tmpl, template_sha, params, rejudge)
        rows = store.frame(con, "judge/select_items", run_id=run_id, judge=backend.judge_name, rejudge=rejudge,
                           paper=only_paper).to_dicts()
        if limit is not None:
            rows = rows[:limit]
        total_items, already = store.run(con, "judge/count_items", run_id=run_id, judge=backend.judge_name)[0]
        result = JudgeResult(backend.judge_name, run_name, len(rows), already=int(already))
        if total_items == 0:
            raise UsageError(f"run {run_name!r} has no items with text to judge; ingest an items CSV with the "
                             "question, reference and both answers")
        if on_start:
            on_start(result)
        seq = int(store.scalar(con, "judge/next_seq", run_id=run_id, judge=backend.judge_name))
        t0 = time.perf_counter()

        def commit(batch: list[ItemResult]) -> None:      # on the writer thread
            nonlocal seq
            _commit(con, run_id, backend.judge_name, seq, batch, rejudge)
            seq += len(batch)
            result.seconds = time.perf_counter() - t0
            for r in batch:
                result.judged += 1
                result.winners[r.verdict.winner] = result.winners.get(r.verdict.winner, 0) + 1
                for score in (r.base_first, r.finetuned_first):
                    if score is not None:
                        result.prompt_tokens += score.prompt_tokens
                        result.evaluated_tokens += score.evaluated_tokens
                if progress:
                    progress(Progress(result.judged, len(rows), result.prompt_tokens, result.seconds,
                                      r.item["item_key"], r.verdict.winner))

        judging = _Judging(backend, tmpl, explain_tmpl, tie_margin, min_mass)
        writer = Writer(commit, max_batch=_max_batch())
        try:
            with closing(judging.results(rows)) as results:
                for handed, r in enumerate(results, start=1):
                    writer.put(r)
                    if handed == _SIGINT_AT:
                        signal.raise_signal(signal.SIGINT)   # the handler runs here: Ctrl-C's KeyboardInterrupt
            writer.close()  # in the try: a Ctrl-C while the last batch commits still waits for it
        except BaseException:
            writer.close(raise_error=False)   # commit what was judged, then report the first error
            raise
    return result
