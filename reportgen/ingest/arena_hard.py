"""Arena-Hard-Auto judgments, ``model_judgment/<judge>/<model>.jsonl``: one object per question,
``{"question_id", "model", "judge", "games": [game1, game2]}``. Game 1 shows the baseline as A and
the model as B; game 2 swaps them. Each game's ``score`` is ``A>>B``, ``A>B``, ``A=B``, ``B>A``,
``B>>A`` (v2 also writes ``A<<B``, ``A<B``, ``B=A``, ``B<A``, ``B<<A``), or null when the judge's verdict
could not be parsed; a null score or a null game is no battle (as Arena-Hard v0.1 counts it; v2 leaves out
the whole question).

Each game is one order of the per-order table (its outcome, and its weight: a strong verdict
``>>`` counts as 3 battles, as Arena-Hard's ``--weight`` default), so the Arena-Hard score
(model wins + ½ ties over weighted battles) and swap consistency come from the same rows. The
question's verdict combines its two games: the side with more battles won, a tie when even, invalid
when neither game has a score. Optional in the same command: ``question.jsonl`` (text, cluster)
and ``model_answer/<model>.jsonl`` for both models."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reportgen.errors import InputError, UsageError
from reportgen.ingest.common import (Context, Options, Source, first_json_object, json_lines,
                                     write_judgments)
from reportgen.ingest import companions

NAME = "arena-hard"
ORDER = 2
WEIGHT = 3
EXAMPLE = '{"question_id": …, "model": …, "games": [{"score": "A>B"}, {"score": "B>A"}]}'
# label -> (which letter won, weight)
_LABELS = {"A>>B": ("A", WEIGHT), "A>B": ("A", 1), "A=B": ("=", 1), "B>A": ("B", 1), "B>>A": ("B", WEIGHT)}
# the same verdicts written the other way round (Arena-Hard v2), stored as the labels above
_SAME_AS = {"B<<A": "A>>B", "B<A": "A>B", "B=A": "A=B", "A<B": "B>A", "A<<B": "B>>A"}


@dataclass
class Game:
    label: str | None
    judgment: str | None


@dataclass
class Plan:
    rows: list[tuple[int, str, Game, Game]]   # line, question id, game 1, game 2
    model: str
    judge: str


def detect(path: Path, head: str) -> bool:
    obj = first_json_object(head)
    return bool(obj) and "games" in obj and ("question_id" in obj or "uid" in obj)


def _game(game, path: Path, line: int, n: int) -> Game:
    if game is None:  # a game the judge did not play: no battle, as a null score
        return Game(None, None)
    if not isinstance(game, dict):
        raise InputError(f"game {n} must be an object with a 'score', or null", path=path, line=line)
    label = game.get("score")
    label = _SAME_AS.get(label, label) if isinstance(label, str) else label
    if label is not None and (not isinstance(label, str) or label not in _LABELS):
        raise InputError(f"game {n} has the unknown score {label!r}; use A>>B, A>B, A=B, B>A, B>>A (or A<<B, A<B, "
                         "B=A, B<A, B<<A) or null", path=path, line=line)
    judgment = game.get("judgment")
    return Game(label, None if judgment is None else str(judgment))


def check(path: Path, options: Options) -> Plan:
    rows, seen, models, judges = [], {}, set(), set()
    for line, obj in json_lines(path, EXAMPLE):
        qid = obj.get("question_id", obj.get("uid"))
        games = obj.get("games")
        if qid is None or "model" not in obj:
            raise InputError("the judgment has no 'question_id' or 'model'; is this an Arena-Hard judgment file?",
                             path=path, line=line)
        if not isinstance(games, list) or len(games) != 2:
            count = "no list of games" if not isinstance(games, list) else \
                f"{len(games)} game" + ("" if len(games) == 1 else "s")
            raise InputError(f"'games' holds {count}; Arena-Hard judges two per question (the second with "
                             "the answers swapped)", path=path, line=line)
        models.add(str(obj["model"]))
        if len(models) > 1:
            raise InputError(f"judges {' and '.join(sorted(models))}; give one model's judgments per file",
                             path=path, line=line)
        if str(qid) in seen:
            raise InputError(f"judges question {qid!r} again (first on line {seen[str(qid)]}); keep one line "
                             "per question", path=path, line=line)
        seen[str(qid)] = line
        judges.add(str(obj.get("judge") or "arena-hard"))
        rows.append((line, str(qid), _game(games[0], path, line, 1), _game(games[1], path, line, 2)))
    return Plan(rows, models.pop(), "+".join(sorted(judges)))


def _sides(ctx: Context, plan: Plan, b: companions.Bundle, path: Path) -> tuple[str, str, bool, str]:
    """(base, fine-tuned, swapped, how the base was chosen): the base is Arena-Hard's baseline unless
    --base names the judged model."""
    others = [m for m in b.answers if m != plan.model]
    if ctx.options.base == plan.model:
        return plan.model, (others[0] if len(others) == 1 else "baseline"), True, "named by --base"
    if ctx.options.base:
        if others and ctx.options.base not in others:
            raise UsageError(f"--base {ctx.options.base!r} is neither the judged model {plan.model!r} nor the "
                             f"model of the answer files ({', '.join(others)})")
        return ctx.options.base, plan.model, False, "the baseline, named by --base"
    if len(others) > 1:
        raise UsageError(f"answers of {', '.join(others)} came with {path}; name the baseline with --base")
    if others:
        return others[0], plan.model, False, "the baseline, from its answer file"
    return "baseline", plan.model, False, "the baseline; the file does not name it (pass --base NAME)"


def write(ctx: Context, src: Source) -> list[str]:
    plan: Plan = src.plan
    b = companions.bundle(ctx)
    b.check_ids({qid for _, qid, _, _ in plan.rows})
    base, finetuned, swapped, how = _sides(ctx, plan, b, src.path)
    judged = {qid for _, qid, _, _ in plan.rows}
    extra = [q for q in (b.questions.rows if b.questions else {}) if q not in judged]
    items = companions.item_rows(b, [(qid, qid, 1) for _, qid, _, _ in plan.rows] + [(q, q, 1) for q in extra],
                                 base, finetuned)
    seq = ctx.verdict_count(plan.judge)
    orders, verdicts, counts = [], [], {"base": 0, "finetuned": 0, "tie": 0, "invalid": 0}
    for i, (line, qid, g1, g2) in enumerate(plan.rows):
        net = 0
        # game 1: the baseline is A (shown first); game 2: the model is A
        for ord_, game, model_letter in ((1, g1, "B"), (2, g2, "A")):
            if game.label is None:
                outcome, weight = "invalid", None
            else:
                letter, weight = _LABELS[game.label]
                outcome = "tie" if letter == "=" else "finetuned" if (letter == model_letter) != swapped else "base"
                net += {"finetuned": weight, "base": -weight, "tie": 0}[outcome]
            first = "base" if (ord_ == 1) != swapped else "finetuned"
            orders.append({"judge": plan.judge, "item_key": qid, "ord": ord_ if not swapped else 3 - ord_,
                           "first_answer": first, "p_first": None, "outcome": outcome, "weight": weight,
                           "label": game.label, "rationale": game.judgment})
        scored = g1.label is not None or g2.label is not None
        winner = "invalid" if not scored else "finetuned" if net > 0 else "base" if net < 0 else "tie"
        counts[winner] += 1
        verdicts.append({"judge": plan.judge, "seq": seq + i, "item_key": qid, "winner": winner, "confidence": None,
                         "p_finetuned": None, "rationale": g1.judgment, "matched_by": "key", "source_line": line})
    with_text = sum(1 for r in items if r["base_answer"] is not None)
    summary = [
        f"Arena-Hard judgments, {len(plan.rows)} questions × 2 games by {plan.judge}: {finetuned} vs {base} "
        f"(base: {how})",
        f"per question: {counts['finetuned']} {finetuned} wins, {counts['base']} {base} wins, {counts['tie']} even, "
        f"{counts['invalid']} with no scored game (invalid); answers for {with_text} of {len(items)} items"
        + ("" if b.questions else "; no question.jsonl, so questions show as their ids"),
    ]
    return write_judgments(ctx, src, summary, items=items, verdicts=verdicts, orders=orders, base=base,
                           finetuned=finetuned, group="cluster" if b.questions else None)
