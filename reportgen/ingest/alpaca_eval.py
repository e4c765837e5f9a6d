"""AlpacaEval ``annotations.json``: one JSON array, one object per instruction, with
``instruction``, ``dataset``, ``output_1``/``generator_1`` (the baseline), ``output_2``/
``generator_2`` (the model ranked), ``annotator`` and ``preference`` = 1 + P(output_2 is better),
in [1, 2]. 1.5 (0 in old files) is a draw; null or NaN is no verdict (kept as invalid). A number outside
[1, 2] is read as AlpacaEval reads it: its probability is left out of ``win_rate`` (``describe_head2head``
leaves out what is not a preference), and the verdict is the preference rounded, as its discrete win
rate rounds it (0 a draw, 1 and 2 a win; anything else no verdict, kept as invalid).

One order only (the file does not record which order the judge saw). The verdict's
P(fine-tuned better) is ``preference - 1`` (or ``2 - preference`` when ``--base`` names
``generator_2``), so the mean probability and its standard error are AlpacaEval's
``win_rate`` and ``standard_error``; the dataset is the item's group."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from reportgen.errors import InputError, UsageError
from reportgen.ingest.common import Context, Options, Source, item_key, json_array, require, write_judgments

NAME = "alpaca-eval"
ORDER = 2
_FIELDS = ("instruction", "output_1", "generator_1", "output_2", "generator_2", "preference")


@dataclass
class Plan:
    rows: list[dict]
    base: str
    other: str
    swapped: bool       # --base named generator_2
    judge: str
    outside: list[int]  # the lines whose preference is a number outside [1, 2] (no probability)


def detect(path: Path, head: str) -> bool:
    text = head.lstrip("\ufeff").lstrip()
    return text.startswith("[") and ('"generator_1"' in text or '"output_1"' in text)


def _preference(raw, path: Path, line: int) -> float | None:
    """AlpacaEval's preference as a float (1.5 for the old draw 0); None for no verdict."""
    if raw is None:
        return None
    if isinstance(raw, str):
        try:
            raw = float(raw) if raw.strip() else None
        except ValueError:
            raise InputError(f"preference {raw!r} is not a number; use a number from 1 to 2 "
                             "(1.5 for a draw) or null", path=path, line=line) from None
        if raw is None:
            return None
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        raise InputError(f"preference {raw!r} is not a number; use a number from 1 to 2 (1.5 for a draw) or null",
                         path=path, line=line)
    try:
        value = float(raw)
    except OverflowError:  # an integer beyond any float: outside [1, 2], as 1e400 (inf) is
        value = math.inf if raw > 0 else -math.inf
    if math.isnan(value):
        return None
    if value == 0:
        return 1.5  # old files wrote a draw as 0
    return value


def _discrete(pref: float | None) -> int | None:
    """The preference as AlpacaEval's discrete win rate reads it (ZeroOneScoringRule): 1.5 becomes 0, then
    rounded half to even; 0 is a draw, 1 generator_1's win, 2 generator_2's, anything else no verdict."""
    if pref is None or not math.isfinite(pref):
        return None
    rounded = 0 if pref == 1.5 else round(pref)
    return rounded if rounded in (0, 1, 2) else None


def check(path: Path, options: Options) -> Plan:
    elements = json_array(path, "annotations")
    if not elements:
        raise InputError("holds an empty array; nothing to ingest", path=path, line=1)
    rows: list[dict] = []
    pairs: set[tuple[str, str]] = set()
    seen: dict[str, int] = {}
    outside: list[int] = []
    for line, obj in elements:
        if not isinstance(obj, dict):
            raise InputError("each element must be an annotation object with instruction, output_1, output_2 "
                             "and preference", path=path, line=line)
        require(obj, _FIELDS, path, line, "annotation")
        pref = _preference(obj["preference"], path, line)
        discrete = _discrete(pref)
        if pref is not None and not 1 <= pref <= 2:
            outside.append(line)
            pref = None
        g1, g2 = str(obj["generator_1"]), str(obj["generator_2"])
        pairs.add((g1, g2))
        if len(pairs) > 1:
            a, b = sorted(pairs)[:2]
            raise InputError(f"compares {b[1]} with {b[0]}, while an earlier annotation compares {a[1]} with "
                             f"{a[0]}; give one model's annotations per file", path=path, line=line)
        dataset = str(obj.get("dataset") or "(no dataset)")
        key = item_key(dataset, str(obj["instruction"]))
        if key in seen:
            raise InputError(f"repeats the instruction of the annotation on line {seen[key]}; keep one "
                             "annotation per instruction", path=path, line=line)
        seen[key] = line
        rows.append({"line": line, "key": key, "dataset": dataset, "instruction": str(obj["instruction"]),
                     "output_1": _text(obj["output_1"]), "output_2": _text(obj["output_2"]), "preference": pref,
                     "discrete": discrete})
    (g1, g2), = pairs
    base = options.base or g1
    if base not in (g1, g2):
        raise UsageError(f"--base {base!r} is neither model of {path} (generator_1 {g1!r}, generator_2 {g2!r})")
    judge = str(elements[0][1].get("annotator") or "alpaca_eval")
    return Plan(rows, base, g2 if base == g1 else g1, base == g2, judge, outside)


def _text(value) -> str | None:
    return None if value is None else str(value)


def write(ctx: Context, src: Source) -> list[str]:
    plan: Plan = src.plan
    items, verdicts = [], []
    seq = ctx.verdict_count(plan.judge)
    counts = {"base": 0, "finetuned": 0, "tie": 0, "invalid": 0}
    for pos, r in enumerate(plan.rows):
        base_out, ft_out = (r["output_2"], r["output_1"]) if plan.swapped else (r["output_1"], r["output_2"])
        items.append({"item_key": r["key"], "position": pos, "question": r["instruction"], "paper": r["dataset"],
                      "reference_answer": None, "base_answer": base_out, "finetuned_answer": ft_out,
                      "source_line": r["line"]})
        pref, discrete = r["preference"], r["discrete"]
        p = None if pref is None else (2 - pref if plan.swapped else pref - 1)
        winner = ("invalid" if discrete is None else "tie" if discrete == 0 else
                  "finetuned" if (discrete == 2) != plan.swapped else "base")
        counts[winner] += 1
        verdicts.append({"judge": plan.judge, "seq": seq + pos, "item_key": r["key"], "winner": winner,
                         "confidence": None if p is None else max(p, 1 - p), "p_finetuned": p,
                         "rationale": None, "matched_by": "key", "source_line": r["line"]})
    summary = [
        f"AlpacaEval annotations, {len(items)} instructions judged by {plan.judge}: {plan.other} vs {plan.base} "
        f"(base: {plan.base}{', named by --base' if plan.swapped or ctx.options.base else ', generator_1'})",
        f"{counts['finetuned']} {plan.other} wins, {counts['base']} {plan.base} wins, {counts['tie']} draws, "
        f"{counts['invalid']} without a preference (counted as invalid)",
    ]
    if plan.outside:
        rounded = sum(1 for r in plan.rows if r["preference"] is None and r["discrete"] is not None)
        summary.append(f"{len(plan.outside)} preference{'s' if len(plan.outside) > 1 else ''} outside [1, 2] (the "
                       f"first on line {plan.outside[0]}): left out of the probability win rate, as AlpacaEval's "
                       f"win_rate; {rounded} of them rounded to a verdict, as its discrete win rate rounds them, "
                       f"and {len(plan.outside) - rounded} invalid")
    return write_judgments(ctx, src, summary, items=items, verdicts=verdicts, base=plan.base, finetuned=plan.other,
                           group="dataset")
