"""Arena-Hard-Auto judgments, ``model_judgment/<judge>/<model>.jsonl``: one object per question,
``{"question_id", "model", "judge", "games": [game1, game2]}``. Game 1 shows the baseline as A and
the model as B; game 2 swaps them. Each game's ``score`` is ``A>>B``, ``A>B``, ``A=B``, ``B>A``,
``B>>A``, or null when the judge's verdict could not be parsed. The two versions count differently, and
each file is read as its own version counts it (its ``show_result.py``):

- v0.1 (rows keyed ``question_id``): a game whose score is anything but those five labels (null, or a
  label the judge's ``[[...]]`` pattern let through, such as ``A<B``) is no battle; the other game counts.
- v2 (rows keyed ``uid``, with a ``category`` and usually the ``baseline``): the labels may also be
  written the other way round (``A<<B``, ``A<B``, ``B=A``, ``B<A``, ``B<<A``); a question with a null game
  or score is left out whole; each category is scored on its own against its own baseline, so a file
  of several categories needs ``--category``.

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
# the same verdicts written the other way round (Arena-Hard v2 only), stored as the labels above
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
    version: int                               # 1 (v0.1, question_id) or 2 (uid)
    baseline: str | None = None                # v2: the baseline the rows name
    uncounted: list[int] | None = None         # v0.1: lines with a label that is no battle
    category: str | None = None                # v2: the category read
    other_categories: int = 0                  # v2: rows of other categories left out


def detect(path: Path, head: str) -> bool:
    obj = first_json_object(head)
    return bool(obj) and "games" in obj and ("question_id" in obj or "uid" in obj)


def _game(game, path: Path, line: int, n: int, version: int) -> tuple[Game, bool]:
    """The game, and whether its score is a label this version does not count (v0.1: no battle)."""
    if game is None:  # a game the judge did not play: no battle, as a null score
        return Game(None, None), False
    if not isinstance(game, dict):
        raise InputError(f"game {n} must be an object with a 'score', or null", path=path, line=line)
    label, judgment = game.get("score"), game.get("judgment")
    judgment = None if judgment is None else str(judgment)
    if label is not None and not isinstance(label, str):
        raise InputError(f"game {n} has the score {label!r}, not a verdict label such as A>B; is this a pairwise "
                         "judgment file?", path=path, line=line)
    if version == 2:
        label = _SAME_AS.get(label, label)
        if label is not None and label not in _LABELS:
            raise InputError(f"game {n} has the unknown score {label!r}; Arena-Hard v2 counts A>>B, A>B, A=B, B>A, "
                             "B>>A, A<<B, A<B, B=A, B<A, B<<A or null", path=path, line=line)
        return Game(label, judgment), False
    if label is not None and label not in _LABELS:  # v0.1's show_result.py gives it no battle
        return Game(None, judgment), True
    return Game(label, judgment), False


def check(path: Path, options: Options) -> Plan:
    rows, seen, models, judges, uncounted = [], {}, set(), set(), []
    version, categories, baselines, left_out = None, set(), {}, 0
    for line, obj in json_lines(path, EXAMPLE):
        if version is None:
            version = 2 if "uid" in obj else 1
        key = "uid" if version == 2 else "question_id"
        qid = obj.get(key)
        games = obj.get("games")
        if qid is None or "model" not in obj:
            raise InputError(f"the judgment has no {key!r} or 'model'; is this an Arena-Hard "
                             f"{'v2' if version == 2 else 'v0.1'} judgment file, like its first line?",
                             path=path, line=line)
        if version == 2:
            category = str(obj.get("category") or "(no category)")
            categories.add(category)
            if options.category is not None and category != options.category:
                left_out += 1
                continue
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
        if version == 2 and obj.get("baseline") is not None:
            baselines.setdefault(str(obj["baseline"]), line)
        (g1, odd1), (g2, odd2) = (_game(games[0], path, line, 1, version), _game(games[1], path, line, 2, version))
        if odd1 or odd2:
            uncounted.append(line)
        if version == 2 and (g1.label is None or g2.label is None):  # v2 leaves the whole question out
            g1, g2 = Game(None, g1.judgment), Game(None, g2.judgment)
        rows.append((line, str(qid), g1, g2))
    if version == 1 and options.category is not None:
        raise UsageError(f"--category is for Arena-Hard v2 files (rows keyed 'uid'); {path} is v0.1")
    if version == 2 and len(categories) > 1 and options.category is None:
        raise UsageError(f"{path} holds Arena-Hard v2 judgments of the categories {', '.join(sorted(categories))}, "
                         "which Arena-Hard scores separately, each against its own baseline; pick one with "
                         "--category NAME (and a run for each)")
    if len(baselines) > 1:
        (a, first), (b, line) = sorted(baselines.items(), key=lambda kv: kv[1])[:2]
        raise InputError(f"names the baseline {b!r}, while line {first} names {a!r}; give one baseline's "
                         "judgments per file", path=path, line=line)
    if not rows:
        raise UsageError(f"{path} has no judgment of the category {options.category!r}; it holds "
                         f"{', '.join(sorted(categories)) or 'none'}")
    category = (options.category or next(iter(categories))) if version == 2 else None  # the one read
    return Plan(rows, models.pop(), "+".join(sorted(judges)), version, next(iter(baselines), None), uncounted,
                category, left_out)


def _sides(ctx: Context, plan: Plan, b: companions.Bundle, path: Path) -> tuple[str, str, bool, str]:
    """(base, fine-tuned, swapped, how the base was chosen): the base is Arena-Hard's baseline unless
    --base names the judged model."""
    others = [m for m in b.answers if m != plan.model]
    named = [plan.baseline] if plan.baseline else others
    if ctx.options.base == plan.model:
        return plan.model, (named[0] if len(named) == 1 else "baseline"), True, "named by --base"
    if ctx.options.base:
        if named and ctx.options.base not in named:
            where = "the baseline the file names" if plan.baseline else "the model of the answer files"
            raise UsageError(f"--base {ctx.options.base!r} is neither the judged model {plan.model!r} nor {where} "
                             f"({', '.join(named)})")
        return ctx.options.base, plan.model, False, "the baseline, named by --base"
    if plan.baseline:
        return plan.baseline, plan.model, False, "the baseline the file names"
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
    version = "v2" + (f", category {plan.category}" if plan.category else "") if plan.version == 2 else "v0.1"
    summary = [
        f"Arena-Hard {version} judgments, {len(plan.rows)} questions × 2 games by {plan.judge}: {finetuned} vs "
        f"{base} (base: {how})",
        f"per question: {counts['finetuned']} {finetuned} wins, {counts['base']} {base} wins, {counts['tie']} even, "
        f"{counts['invalid']} "
        + ("left out for a null game (invalid), as v2 leaves them out" if plan.version == 2 else
           "with no scored game (invalid)")
        + f"; answers for {with_text} of {len(items)} items"
        + ("" if b.questions else "; no question.jsonl, so questions show as their ids"),
    ]
    if plan.uncounted:
        summary.append(f"{len(plan.uncounted)} question{'s have' if len(plan.uncounted) > 1 else ' has'} a game "
                       f"whose score is not one of v0.1's five labels (the first on line {plan.uncounted[0]}): no "
                       "battle, as v0.1's show_result.py counts it")
    if plan.other_categories:
        summary.append(f"{plan.other_categories} judgment{'s' if plan.other_categories > 1 else ''} of other "
                       f"categories left out (--category {plan.category})")
    return write_judgments(ctx, src, summary, items=items, verdicts=verdicts, orders=orders, base=base,
                           finetuned=finetuned, group="cluster" if b.questions else None)
