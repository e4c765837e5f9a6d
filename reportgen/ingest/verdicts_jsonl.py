"""Verdict JSONL, reportgen's interchange format: one JSON object per line,

    {"item": "<item key>", "winner": "base" | "finetuned" | "tie" | "invalid",
     "confidence": 0.83, "p_finetuned": 0.9, "rationale": "...", "judge": "my-judge"}

``item`` (also accepted: ``item_key``, ``id``) and ``winner`` are required; the rest is
optional. ``confidence`` is the probability that the winner is better; ``p_finetuned`` the
probability that the fine-tuned answer is better (what probability win rates average). Blank lines are skipped."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reportgen import store
from reportgen.errors import InputError
from reportgen.ingest.common import Context, Options, Source, json_lines, slug, write_verdicts

NAME = "verdicts-jsonl"
ORDER = 2

WINNER_SPELLINGS = {
    "base": "base", "base_model": "base",
    "finetuned": "finetuned", "fine_tuned": "finetuned", "fine-tuned": "finetuned", "ft": "finetuned",
    "tie": "tie", "draw": "tie",
    "invalid": "invalid",
}
KEY_FIELDS = ("item", "item_key", "id")
EXAMPLE = '{"item": …, "winner": …}'


@dataclass
class JsonVerdict:
    line: int
    item_key: str
    winner: str
    confidence: float | None
    p_finetuned: float | None
    rationale: str | None
    judge: str | None


def detect(path: Path, head: str) -> bool:
    return head.lstrip("\ufeff").lstrip().startswith("{") or path.suffix.lower() in (".jsonl", ".ndjson")


def check(path: Path, options: Options) -> list[JsonVerdict]:
    return read(path)


def read(path: Path) -> list[JsonVerdict]:
    out: list[JsonVerdict] = []
    for lineno, obj in json_lines(path, EXAMPLE):
        key = next((obj[k] for k in KEY_FIELDS if k in obj), None)
        if key is None or not str(key).strip():
            raise InputError("the object has no \"item\" key; add the item key it judges", path=path, line=lineno)
        raw = obj.get("winner")
        if raw is None:
            raise InputError("the object has no \"winner\"; add one of base, finetuned, tie", path=path, line=lineno)
        winner = WINNER_SPELLINGS.get(str(raw).strip().lower().removeprefix("evalwinner."))
        if winner is None:
            raise InputError(f"unknown winner {raw!r}; use base, finetuned, tie or invalid", path=path, line=lineno)
        confidence, p_finetuned = (_probability(obj, k, path, lineno) for k in ("confidence", "p_finetuned"))
        rationale = obj.get("rationale")
        judge = obj.get("judge")
        out.append(JsonVerdict(lineno, str(key).strip(), winner, confidence, p_finetuned,
                               None if rationale is None else str(rationale),
                               None if judge is None else str(judge)))
    return out


def _probability(obj: dict, name: str, path: Path, line: int) -> float | None:
    value = obj.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise InputError(f"{name} {value!r} is not a number between 0 and 1", path=path, line=line)
    return float(value)


def write(ctx: Context, src: Source) -> list[str]:
    records: list[JsonVerdict] = src.plan
    known = ctx.item_keys()
    default_judge = f"jsonl:{slug(src.path.name.split('.')[0] or src.path.stem)}"
    for rec in records:
        if rec.item_key not in known:
            raise InputError(
                f"item {rec.item_key!r} is not in the run; ingest its items CSV first (same --run) "
                "or fix the key", path=src.path, line=rec.line,
            )
    judges = sorted({rec.judge or default_judge for rec in records})
    counters = {j: ctx.verdict_count(j) for j in judges}
    # a judge's verdicts on an item already in the run (an earlier file, or one before it in this command)
    held = {j: set(store.frame(ctx.con, "ingest/judged_item_keys", run_id=ctx.run_id, judge=j)["item_key"].to_list())
            for j in judges}
    rows = []
    seen: dict[tuple[str, str], int] = {}
    for rec in records:
        judge = rec.judge or default_judge
        if rec.item_key in held[judge]:
            raise InputError(
                f"the run already holds a verdict of judge {judge!r} for item {rec.item_key!r}; "
                "use --replace to redo the run, or give these verdicts another judge name", path=src.path, line=rec.line,
            )
        if (judge, rec.item_key) in seen:
            raise InputError(
                f"judge {judge!r} already judged item {rec.item_key!r} on line {seen[(judge, rec.item_key)]}; "
                "keep one verdict per item and judge", path=src.path, line=rec.line,
            )
        seen[(judge, rec.item_key)] = rec.line
        rows.append({"judge": judge, "seq": counters[judge], "item_key": rec.item_key, "winner": rec.winner,
                     "confidence": rec.confidence, "p_finetuned": rec.p_finetuned, "rationale": rec.rationale,
                     "matched_by": "key", "source_line": rec.line})
        counters[judge] += 1
    summary = [f"verdict JSONL, {len(rows)} verdicts from judge {', '.join(judges)}, all matched by item key"]
    write_verdicts(ctx, src, rows, ctx.record_source(src, summary))
    return summary
