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
from concurrent.futures import FIRST_COMPLETED, Future, wait
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from reportgen.errors import UsageError
from reportgen.judge.base import Backend, OrderScore, PromptTooLong, Verdict, combine
from reportgen.judge.pipeline import DaemonPool, Writer, ahead
from reportgen.judge.prompt import JudgeTemplate, explain_prompt, pair_prompts

TIE_MARGIN = 0.1
SIGNAL_CHECK_S = 0.25   # how often the main thread, waiting for concurrent results, looks for a Ctrl-C
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
    redone: int = 0       # items an unfinished --rejudge already judged again (not selected again)
    earlier: int = 0      # verdicts of this judge made with an earlier model, template or parameters, still kept


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


# Parameters that may differ between the runs of one judge without changing its verdicts: not compared on a
# resume, and a resumed run leaves the recorded values as they were (the record is of the run that began the
# judge's current model, template and parameters). Every other parameter must match, or --rejudge / --name.
NON_VERDICT_PARAMETERS = frozenset({"batch", "chat_template"})
# Bookkeeping kept in the judges row's parameters JSON (no parameters of the judge): verdicts of the judge with a
# seq below identity_since_seq were made with an earlier model, template or parameters; rejudge_since_seq is set
# while a --rejudge is unfinished (items whose verdict has a lower seq are still to judge again).
IDENTITY_SINCE, REJUDGE_SINCE = "identity_since_seq", "rejudge_since_seq"
_SAME_VALUE = {"flash_attn": "--flash-attn {}", "gpu_layers": "--gpu-layers {}", "seed": "--seed {}",
               "endpoint": "--endpoint {}"}


def _same_value(key: str, recorded) -> str:
    if key == "explain":
        return "--explain" if recorded else "no --explain"
    return _SAME_VALUE.get(key, key + " {}").format(recorded)


@dataclass
class _Plan:
    """What judging under this judge name means here: which verdicts count as judged, and what the
    judges row must say once the first verdict commits (nothing is written before it)."""
    recorded: dict | None          # the judges row's parameters as recorded (None: no row yet)
    parameters: dict               # what the row holds while this run judges
    new_identity: bool             # a new model, template or parameters: the whole row is written anew
    redo_below: int | None         # --rejudge: items whose verdict has a lower seq are judged again
    identity_since: int
    next_seq: int                  # the seq of the next verdict this judge commits in the run


def _plan(con, run_id: int, backend: Backend, template_sha: str, params: dict, rejudge: bool,
          earlier_template_sha: str | None = None) -> _Plan:
    """Compare the judge with its record; refuse to mix verdicts of a different model, template or parameters
    under one judge name without --rejudge. Reads only: the row is written with the first verdict."""
    from reportgen import store
    name = backend.judge_name
    next_seq = int(store.scalar(con, "judge/next_seq", run_id=run_id, judge=name))
    params = json.loads(json.dumps(params))         # as the record holds them (tuples are lists there)
    row = store.run(con, "judge/find_judge", run_id=run_id, judge=name)
    if not row:
        parameters = {**params, IDENTITY_SINCE: next_seq}
        if rejudge and next_seq:
            parameters[REJUDGE_SINCE] = next_seq
        return _Plan(None, parameters, True, next_seq if rejudge else None, next_seq, next_seq)
    model, model_sha, old_template_sha, old_parameters, verdicts = row[0]
    recorded = json.loads(old_parameters)
    if old_template_sha != template_sha and old_template_sha == earlier_template_sha \
            and store.scalar(con, "judge/same_prompts_as_before", run_id=run_id):
        template_sha = old_template_sha       # the bundled template's edit changed no prompt of this run
    what = ("model file" if model_sha != backend.model_sha256 else
            "served model" if model_sha is None and model != backend.model else
            "prompt template" if old_template_sha != template_sha else None)
    diffs = [(k, recorded[k], v) for k, v in params.items()
             if k in recorded and k not in NON_VERDICT_PARAMETERS and recorded[k] != v]
    if (what or diffs) and verdicts and not rejudge:
        if what:
            raise UsageError(f"judge {name!r} already judged {verdicts} items of this run with another {what}; "
                             "pass --rejudge to redo them, or --name to judge under another name")
        key, old, new = diffs[0]
        raise UsageError(f"judge {name!r} already judged {verdicts} items of this run with {key} {json.dumps(old)}, "
                         f"not {json.dumps(new)}; pass {_same_value(key, old)} to go on with it, --rejudge to judge "
                         "them again, or --name to judge under another name")
    if what or diffs:                     # a new identity: from the next verdict on
        parameters = {**params, IDENTITY_SINCE: next_seq}
        if rejudge:
            parameters[REJUDGE_SINCE] = next_seq
        return _Plan(recorded, parameters, True, next_seq if rejudge else None, next_seq, next_seq)
    parameters = dict(recorded)
    since = int(recorded.get(IDENTITY_SINCE, 0))
    parameters.setdefault(IDENTITY_SINCE, since)
    if not rejudge:
        return _Plan(recorded, parameters, False, None, since, next_seq)
    if REJUDGE_SINCE not in parameters:   # a --rejudge begins; an unfinished one goes on where it stopped
        parameters[REJUDGE_SINCE] = next_seq
    return _Plan(recorded, parameters, False, int(parameters[REJUDGE_SINCE]), since, next_seq)


def _write_judge(con, run_id: int, backend: Backend, template: JudgeTemplate, template_sha: str,
                 parameters: dict, new_identity: bool) -> None:
    from reportgen import store
    text = json.dumps(parameters, sort_keys=True)
    if new_identity:
        store.run(con, "judge/upsert_judge", run_id=run_id, judge=backend.judge_name, backend=backend.kind,
                  model=backend.model, model_sha256=backend.model_sha256, template=template.path.name,
                  template_sha256=template_sha, parameters=text)
    else:
        store.run(con, "judge/update_judge_parameters", run_id=run_id, judge=backend.judge_name, parameters=text)


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
        self._outstanding: set[Future] = set()   # concurrent judging: the items submitted, not handed on yet

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
        pool = DaemonPool(self.backend.concurrency, lambda item: self.score(self.prepare(item)))
        try:
            pending = iter(items)
            for item in pending:
                self._outstanding.add(pool.submit(item))
                if len(self._outstanding) >= self.backend.concurrency * 2:
                    break
            while self._outstanding:
                # in slices: a blocked wait is not woken by a Ctrl-C that the kernel gives another thread
                # (a request's, DuckDB's), and would hold it until some request returns
                done: set[Future] = set()
                while not done:
                    done, _ = wait(self._outstanding, timeout=SIGNAL_CHECK_S, return_when=FIRST_COMPLETED)
                for future in done:
                    self._outstanding.discard(future)
                    yield future.result()
                    nxt = next(pending, None)
                    if nxt is not None:
                        self._outstanding.add(pool.submit(nxt))
        finally:
            # No waiting for requests in flight (a server that hangs would hold a Ctrl-C for its timeout):
            # the queued ones are cancelled, the pool's threads are daemons, and what is done already stays
            # in ``_outstanding`` for ``finished``.
            pool.shutdown()

    def finished(self) -> list[ItemResult]:
        """After an interrupt: the items judged but not handed on yet (their futures done, without error)."""
        done = [f for f in self._outstanding if f.done() and not f.cancelled()
                and f.exception() is None]
        return [f.result() for f in done]


def _max_batch() -> int | None:
    """REPORTGEN_JUDGE_MAX_BATCH caps how many items one commit takes (default: all that are ready).
    With 1, every item commits on its own at the same SQL statements on every run, which the crash
    tests need to place their kills exactly."""
    value = os.environ.get("REPORTGEN_JUDGE_MAX_BATCH")
    return int(value) if value and value.isdigit() and int(value) > 0 else None


def _commit(con, run_id: int, judge: str, first_seq: int, batch: list[ItemResult], replace: bool,
            record: Callable[[], None] | None = None) -> None:
    """One transaction for the batch: the judge's row where it changes (``record``: with the first verdict,
    and when a --rejudge finishes), each item's verdict and both order rows (``replace``: in place of the
    item's earlier verdict), then the failure categories."""
    from reportgen import categories, store
    with store.transaction(con):
        if record is not None:
            record()
        for seq, r in enumerate(batch, start=first_seq):
            v = r.verdict
            key = r.item["item_key"]
            if replace:
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
        categories.refresh(con, run_id, hits=replace or any(r.verdict.winner == "base" for r in batch),
                           items=False)


def judge_run(db: Path, backend: Backend, *, run: str | None = None, template: Path | None = None,
              limit: int | None = None, only_paper: str | None = None, rejudge: bool = False,
              explain: bool = False, tie_margin: float = TIE_MARGIN, min_mass: float = MIN_LETTER_MASS,
              on_start: Callable[[JudgeResult], None] | None = None,
              progress: Callable[[Progress], None] | None = None, db_checked: bool = False) -> JudgeResult:
    """Judge the items of ``run`` that have no verdict of ``backend`` yet (``rejudge``: the selected
    items again, each verdict replaced in the transaction that commits its new one), committing the
    verdicts on a writer thread as they come. Nothing is written before the first verdict commits.

    ``db_checked``: the caller has run ``store.require_db(db, writable=True)`` already (the CLI does,
    before the model loads)."""
    from reportgen import store
    if limit is not None and limit < 0:
        raise UsageError("--limit must be 0 or more")
    if not db_checked:
        # the judge judges the items of a run, which only an existing database holds; and nothing is written
        # before the first verdict commits: find out now, not after the first item, whether it can be written
        store.require_db(db, writable=True)
    tmpl = JudgeTemplate(template)
    explain_tmpl = JudgeTemplate(name="explain.j2") if explain else None
    template_sha = JudgeTemplate.combined_sha(tmpl, backend.chat)
    params = {**backend.parameters, "backend": backend.kind, "tie_margin": tie_margin,
              "min_letter_mass": min_mass, "explain": explain}
    name = backend.judge_name
    with store.open_db(db) as con:
        run_id, run_name = _run_id(con, run)
        plan = _plan(con, run_id, backend, template_sha, params, rejudge, tmpl.earlier_combined_sha(backend.chat))
        selection = store.frame(con, "judge/select_items", run_id=run_id, judge=name, redo_below=plan.redo_below,
                                paper=only_paper).to_dicts()
        rows = selection[:limit] if limit is not None else selection
        total_items, already, redone = store.run(con, "judge/count_items", run_id=run_id, judge=name,
                                                 since=plan.redo_below)[0]
        if total_items == 0:
            raise UsageError(f"run {run_name!r} has no items with text to judge; ingest an items CSV with the "
                             "question, reference and both answers")
        result = JudgeResult(name, run_name, len(rows), already=int(already), redone=int(redone))
        finished = {k: v for k, v in plan.parameters.items() if k != REJUDGE_SINCE}   # once the rejudge is done

        def record(parameters: dict, new_identity: bool) -> Callable[[], None]:
            return lambda: _write_judge(con, run_id, backend, tmpl, template_sha, parameters, new_identity)

        whole_run = only_paper is None and len(rows) == len(selection)   # a --rejudge ends with the run's last item
        if rejudge and whole_run and not selection and not plan.new_identity and REJUDGE_SINCE in (plan.recorded or {}):
            # every item was judged again by the unfinished --rejudge: it is finished now
            with store.transaction(con):
                record(finished, False)()
        if on_start:
            on_start(result)
        seq = plan.next_seq
        t0 = time.perf_counter()
        first = True

        def commit(batch: list[ItemResult]) -> None:      # on the writer thread
            nonlocal seq, first
            # the row: with the first verdict where it is new or changes, and with a --rejudge's last item its end
            ends_rejudge = rejudge and whole_run and result.judged + len(batch) == len(rows)
            want = finished if ends_rejudge else plan.parameters
            write = None
            if first and (plan.new_identity or want != plan.recorded):
                write = record(want, plan.new_identity)
            elif not first and want != plan.parameters:
                write = record(want, False)
            _commit(con, run_id, name, seq, batch, plan.redo_below is not None, write)
            first = False
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
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt):
                try:
                    for r in judging.finished():     # judged, not handed on yet: committed too
                        writer.put(r)
                except Exception:  # noqa: BLE001 - the writer failed before: close reports nothing more, Ctrl-C goes on
                    pass
            writer.close(raise_error=False)   # commit what was judged, then report the first error
            raise
        result.earlier = int(store.scalar(con, "judge/count_earlier", run_id=run_id, judge=name,
                                          since=plan.identity_since))
    return result
