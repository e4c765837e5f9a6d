"""FastChat MT-bench single-answer grading, ``model_judgment/<judge>_single.jsonl``: one object per
model, question and turn, ``{"question_id", "model", "judge": [judge, prompt], "judgment", "score",
"turn", …}``, the score a grade from 1 to 10 (-1 when the judge's text held none).

As FastChat's ``show_result.py --mode single`` (its default): a model's MT-bench score is the mean of
its grades, per turn and over all turns, leaving out -1 (a null score too, as pandas' mean skips it).
A file grades many models; a run compares two of them, named with ``--base`` and ``--model`` (one of
them is enough when the file grades just two). Each model's grades are stored (the ``grades`` table, the
``mt_bench_scores`` report), so the published means come from them; each question-turn is also an item
whose verdict is the higher grade (a tie when equal, invalid when either model has no grade), so the
rates, pages and failure categories work as for the other formats. Optional in the same command:
``question.jsonl``, ``model_answer/*.jsonl``, ``reference_answer/*.jsonl``, as for pairwise files."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from reportgen.errors import InputError, UsageError
from reportgen.ingest.common import Context, Options, Source, first_json_object, json_lines, write_judgments
from reportgen.ingest import companions
from reportgen.ingest.mtbench import turn_and_judge

NAME = "mt-bench-single"
ORDER = 2
EXAMPLE = '{"question_id": …, "model": …, "judge": ["gpt-4", "single-v1"], "score": 7, "turn": 1}'
GRADE_SCHEMA = {"judge": pl.String, "item_key": pl.String, "side": pl.String, "model": pl.String,
                "turn": pl.Int32, "score": pl.Float64, "judgment": pl.String, "source_line": pl.Int32}


@dataclass
class Grade:
    line: int
    qid: str
    turn: int
    model: str
    score: float | None   # None: -1 or null, no grade
    judgment: str | None
    judge: str


def detect(path: Path, head: str) -> bool:
    obj = first_json_object(head)
    return bool(obj) and {"question_id", "model", "score"} <= obj.keys() and "g1_winner" not in obj \
        and "games" not in obj


def _grade(obj: dict, path: Path, line: int) -> Grade:
    for key in ("question_id", "model", "score"):
        if key not in obj:
            raise InputError(f"the judgment has no {key!r}; is this an MT-bench single-grading file "
                             "(*_single.jsonl)?", path=path, line=line)
    score = obj["score"]
    if score is not None and (isinstance(score, bool) or not isinstance(score, (int, float))):
        raise InputError(f"score {score!r} is not a number; FastChat writes a grade from 1 to 10, or -1",
                         path=path, line=line)
    if score is not None:
        score = float(score)
        if math.isnan(score) or score == -1:
            score = None
        elif not math.isfinite(score):
            raise InputError(f"score {obj['score']!r} is not a grade; FastChat writes a grade from 1 to 10, or -1",
                             path=path, line=line)
    turn, judge = turn_and_judge(obj, path, line)
    judgment = obj.get("judgment")
    return Grade(line, str(obj["question_id"]), turn, str(obj["model"]), score,
                 None if judgment is None else str(judgment), judge)


def check(path: Path, options: Options) -> list[Grade]:
    grades, seen = [], {}
    for line, obj in json_lines(path, EXAMPLE):
        g = _grade(obj, path, line)
        key = (g.model, g.qid, g.turn)
        if key in seen:
            raise InputError(f"grades {g.model}'s answer to question {g.qid!r} turn {g.turn} again (first on line "
                             f"{seen[key]}); keep one", path=path, line=line)
        seen[key] = line
        grades.append(g)
    return grades


def _pick(grades: list[Grade], options: Options, path: Path) -> tuple[str, str]:
    """(base, fine-tuned): the two models the run compares, as --base and --model name them."""
    models = sorted({g.model for g in grades})
    for option, name in (("--base", options.base), ("--model", options.model)):
        if name is not None and name not in models:
            raise UsageError(f"{option} {name!r} is not a model {path} grades ({', '.join(models)})")
    if options.base and options.model:
        if options.base == options.model:
            raise UsageError("--base and --model name the same model; name the two models to compare")
        return options.base, options.model
    if len(models) == 2 and (options.base or options.model):
        named = options.base or options.model
        other = next(m for m in models if m != named)
        return (named, other) if options.base else (other, named)
    if len(models) == 1:
        raise UsageError(f"{path} grades only {models[0]}; a run compares two models, so give a file that grades "
                         "both (FastChat's gen_judgment.py --model-list A B)")
    raise UsageError(f"{path} grades {', '.join(models)}; name the two to compare with --base NAME --model NAME "
                     "(single grading has no baseline)")


def _grades(n: int) -> str:
    return f"{n} grade{'' if n == 1 else 's'}"


def write(ctx: Context, src: Source) -> list[str]:
    grades: list[Grade] = src.plan
    base, finetuned = _pick(grades, ctx.options, src.path)
    mine = [g for g in grades if g.model in (base, finetuned)]
    judge = "+".join(sorted({g.judge for g in mine}))
    by_item: dict[str, dict[str, Grade]] = {}
    keys = []
    for g in mine:
        key = f"{g.qid}/turn{g.turn}"
        if key not in by_item:
            by_item[key] = {}
            keys.append((key, g.qid, g.turn))
        by_item[key]["base" if g.model == base else "finetuned"] = g
    b = companions.bundle(ctx)
    b.check_ids({qid for _, qid, _ in keys})
    items = companions.item_rows(b, keys, base, finetuned)
    seq = ctx.verdict_count(judge)
    verdicts, rows, counts = [], [], {"base": 0, "finetuned": 0, "tie": 0, "invalid": 0}
    for i, (key, _, _) in enumerate(keys):
        pair = by_item[key]
        sb, sf = (pair[s].score if s in pair else None for s in ("base", "finetuned"))
        winner = "invalid" if sb is None or sf is None else "finetuned" if sf > sb else "base" if sb > sf else "tie"
        counts[winner] += 1
        shown = {s: ("no grade" if s not in pair or pair[s].score is None else f"{pair[s].score:g}/10")
                 for s in ("base", "finetuned")}
        texts = [f"{name} graded {shown[s]}" + (f":\n{pair[s].judgment}" if s in pair and pair[s].judgment else "")
                 for s, name in (("base", base), ("finetuned", finetuned))]
        first = min(pair.values(), key=lambda g: g.line)
        verdicts.append({"judge": judge, "seq": seq + i, "item_key": key, "winner": winner, "confidence": None,
                         "p_finetuned": None, "rationale": "\n\n".join(texts), "matched_by": "key",
                         "source_line": first.line})
        rows += [{"judge": judge, "item_key": key, "side": side, "model": g.model, "turn": g.turn, "score": g.score,
                  "judgment": g.judgment, "source_line": g.line} for side, g in pair.items()]
    ctx.insert("ingest/insert_grades", "staged_grades", pl.DataFrame(rows, schema=GRADE_SCHEMA), path=src.path)
    ungraded = sum(1 for g in mine if g.score is None)
    others = len(grades) - len(mine)
    summary = [
        f"MT-bench single grades by {judge}: {finetuned} vs {base} ({len(mine)} grades of {len(keys)} question-turns"
        + (f"; {_grades(others)} of other models skipped" if others else "") + ")",
        f"per question-turn, the higher grade: {counts['finetuned']} {finetuned} wins, {counts['base']} {base} wins, "
        f"{counts['tie']} ties, {counts['invalid']} without both grades (invalid); {_grades(ungraded)} of -1 or null "
        "left out of the MT-bench scores, as FastChat leaves them out",
    ]
    return write_judgments(ctx, src, summary, items=items, verdicts=verdicts, base=base, finetuned=finetuned,
                           group="category" if b.questions else None)
