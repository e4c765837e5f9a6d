"""FastChat MT-bench pairwise judgments, ``model_judgment/<judge>_pair.jsonl``: one object per
question and turn, ``{"question_id", "model_1", "model_2", "g1_winner", "g2_winner", "judge",
"turn", "g1_judgment", "g2_judgment", …}``. Game 1 shows model_1's answer first, game 2 model_2's;
both winners are already mapped back to ``model_1``/``model_2`` (or ``tie``, ``error``).

As FastChat's ``show_result.py --mode pairwise-baseline``: a question-turn is a win when both games
name the same model, a tie when game 1 says tie or the games disagree, and is left out of the
counts when either game is an error (kept here as invalid). ``model_2`` is the baseline (FastChat's
``gen_judgment.py`` puts the baseline second), so it is the base unless ``--base`` says otherwise (it
must where the pair's rows put each model second somewhere, as a pairwise-all file can);
a file judging several models against one baseline needs ``--model`` to pick one. Each game is one
order of the per-order table, with its judgment text as rationale. Optional in the same command:
``question.jsonl`` (text, category, references), ``model_answer/*.jsonl``, ``reference_answer/*.jsonl``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reportgen.errors import InputError, UsageError
from reportgen.ingest.common import (Context, Options, Source, first_json_object, json_lines,
                                     write_judgments)
from reportgen.ingest import companions

NAME = "mt-bench"
ORDER = 2
EXAMPLE = '{"question_id": …, "model_1": …, "model_2": …, "g1_winner": …, "g2_winner": …, "turn": 1}'
WINNERS = ("model_1", "model_2", "tie", "error")


@dataclass
class Row:
    line: int
    qid: str
    turn: int
    model_1: str
    model_2: str
    g1: str
    g2: str
    j1: str | None
    j2: str | None
    judge: str


def detect(path: Path, head: str) -> bool:
    obj = first_json_object(head)
    return bool(obj) and "g1_winner" in obj and "model_1" in obj


def turn_and_judge(obj: dict, path: Path, line: int) -> tuple[int, str]:
    """A FastChat judgment's turn (1 when absent) and judge model (``judge`` is [model, prompt name])."""
    turn = obj.get("turn", 1)
    if isinstance(turn, bool) or not isinstance(turn, int) or turn < 1:
        raise InputError(f"turn {turn!r} is not a turn number (1, 2, …)", path=path, line=line)
    judge = obj.get("judge")
    return turn, str(judge[0]) if isinstance(judge, list) and judge else str(judge or "mt-bench")


def _row(obj: dict, path: Path, line: int) -> Row:
    for key in ("question_id", "model_1", "model_2", "g1_winner", "g2_winner"):
        if key not in obj:
            raise InputError(f"the judgment has no {key!r}; is this an MT-bench pairwise file (*_pair.jsonl)?",
                             path=path, line=line)
    for key in ("g1_winner", "g2_winner"):
        if obj[key] not in WINNERS:
            raise InputError(f"{key} is {obj[key]!r}; FastChat writes model_1, model_2, tie or error",
                             path=path, line=line)
    turn, judge = turn_and_judge(obj, path, line)
    j1, j2 = obj.get("g1_judgment"), obj.get("g2_judgment")
    return Row(line, str(obj["question_id"]), turn, str(obj["model_1"]), str(obj["model_2"]), obj["g1_winner"],
               obj["g2_winner"], None if j1 is None else str(j1), None if j2 is None else str(j2), judge)


def check(path: Path, options: Options) -> list[Row]:
    return [_row(obj, path, line) for line, obj in json_lines(path, EXAMPLE)]


def _pick(rows: list[Row], options: Options, path: Path) -> tuple[str, str, list[Row], str]:
    """(base, fine-tuned, the rows of that pair, how the base was chosen). A pair's rows may name either
    model first (a file that holds FastChat's pairwise-baseline and pairwise-all judgments)."""
    pairs = sorted({tuple(sorted((r.model_1, r.model_2))) for r in rows})
    if options.base:
        pairs = [p for p in pairs if options.base in p]
        if not pairs:
            raise UsageError(f"--base {options.base!r} is in no comparison of {path}")
    if len(pairs) > 1:
        models = sorted({m for p in pairs for m in p} - ({options.base} if options.base else set()))
        raise UsageError(f"{path} compares several pairs of models ({', '.join(f'{a} vs {b}' for a, b in pairs)}); "
                         f"ingest one pair per run with --base NAME --model NAME (models: {', '.join(models)})")
    pair = set(pairs[0])
    mine = [r for r in rows if {r.model_1, r.model_2} == pair]
    seconds = {r.model_2 for r in mine}
    if not options.base and len(seconds) > 1:
        raise UsageError(f"{path} judges {' and '.join(sorted(pair))} with each of them second (model_2) in some "
                         "rows; name the baseline with --base")
    base = options.base or seconds.pop()
    how = "named by --base" if options.base else "model_2, FastChat's baseline"
    return base, next(iter(pair - {base})), mine, how


def write(ctx: Context, src: Source) -> list[str]:
    rows: list[Row] = src.plan
    if ctx.options.model:
        rows = [r for r in rows if ctx.options.model in (r.model_1, r.model_2)]
        if not rows:
            raise UsageError(f"--model {ctx.options.model!r} is in no comparison of {src.path}")
    base, finetuned, rows, how = _pick(rows, ctx.options, src.path)
    skipped = len(src.plan) - len(rows)
    b = companions.bundle(ctx)
    keys, seen = [], {}
    for r in rows:
        key = f"{r.qid}/turn{r.turn}"
        if key in seen:
            raise InputError(f"judges question {r.qid!r} turn {r.turn} again (first on line {seen[key]}); keep one",
                             path=src.path, line=r.line)
        seen[key] = r.line
        keys.append((key, r.qid, r.turn))
    b.check_ids({r.qid for r in rows})
    items = companions.item_rows(b, keys, base, finetuned)
    judge = "+".join(sorted({r.judge for r in rows}))
    seq = ctx.verdict_count(judge)
    orders, verdicts, counts = [], [], {"base": 0, "finetuned": 0, "tie": 0, "invalid": 0}
    for i, ((key, _, _), r) in enumerate(zip(keys, rows)):
        side = {"model_1": "finetuned" if r.model_1 == finetuned else "base", "tie": "tie", "error": "invalid"}
        side["model_2"] = "base" if side["model_1"] == "finetuned" else "finetuned"
        if "error" in (r.g1, r.g2):
            winner = "invalid"
        elif r.g1 == "tie" or r.g1 != r.g2:
            winner = "tie"
        else:
            winner = side[r.g1]
        counts[winner] += 1
        # game 1 shows model_1 first, game 2 model_2; ord 1 is the order that shows the base first
        for game, outcome, text, first in ((1, side[r.g1], r.j1, side["model_1"]), (2, side[r.g2], r.j2, side["model_2"])):
            orders.append({"judge": judge, "item_key": key, "ord": 1 if first == "base" else 2, "first_answer": first,
                           "p_first": None, "outcome": outcome, "weight": None if outcome == "invalid" else 1,
                           "label": (r.g1, r.g2)[game - 1], "rationale": text})
        verdicts.append({"judge": judge, "seq": seq + i, "item_key": key, "winner": winner, "confidence": None,
                         "p_finetuned": None, "rationale": r.j1, "matched_by": "key", "source_line": r.line})
    summary = [
        f"MT-bench pairwise judgments, {len(rows)} question-turns × 2 games by {judge}: {finetuned} vs {base} "
        f"(base: {how})" + (f"; {skipped} rows of other model pairs skipped" if skipped else ""),
        f"{counts['finetuned']} {finetuned} wins, {counts['base']} {base} wins, {counts['tie']} ties, "
        f"{counts['invalid']} with an error game (invalid, left out of the rates as FastChat does)",
    ]
    return write_judgments(ctx, src, summary, items=items, verdicts=verdicts, orders=orders, base=base,
                           finetuned=finetuned, group="category" if b.questions else None)
