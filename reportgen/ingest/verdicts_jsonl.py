"""Verdict JSONL, reportgen's interchange format: one JSON object per line,

    {"item": "<item key>", "winner": "base" | "finetuned" | "tie" | "invalid",
     "confidence": 0.83, "rationale": "...", "judge": "my-judge"}

``item`` (also accepted: ``item_key``, ``id``) and ``winner`` are required; the rest is
optional. Blank lines are skipped."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from reportgen.errors import InputError
from reportgen.ingest.textfile import iter_lines

WINNER_SPELLINGS = {
    "base": "base", "base_model": "base",
    "finetuned": "finetuned", "fine_tuned": "finetuned", "fine-tuned": "finetuned", "ft": "finetuned",
    "tie": "tie", "draw": "tie",
    "invalid": "invalid",
}
KEY_FIELDS = ("item", "item_key", "id")


@dataclass
class JsonVerdict:
    line: int
    item_key: str
    winner: str
    confidence: float | None
    rationale: str | None
    judge: str | None


def looks_like_jsonl(head: str) -> bool:
    return head.lstrip("\ufeff").lstrip().startswith("{")


def read(path: Path) -> list[JsonVerdict]:
    out: list[JsonVerdict] = []
    for lineno, text in iter_lines(path):
        if not text.strip():
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON ({exc.msg} at column {exc.colno}); each line must be one JSON object",
                             path=path, line=lineno) from None
        if not isinstance(obj, dict):
            raise InputError("each line must be a JSON object like {\"item\": …, \"winner\": …}",
                             path=path, line=lineno)
        key = next((obj[k] for k in KEY_FIELDS if k in obj), None)
        if key is None or not str(key).strip():
            raise InputError("the object has no \"item\" key; add the item key it judges", path=path, line=lineno)
        raw = obj.get("winner")
        if raw is None:
            raise InputError("the object has no \"winner\"; add one of base, finetuned, tie", path=path, line=lineno)
        winner = WINNER_SPELLINGS.get(str(raw).strip().lower().removeprefix("evalwinner."))
        if winner is None:
            raise InputError(f"unknown winner {raw!r}; use base, finetuned, tie or invalid", path=path, line=lineno)
        confidence = obj.get("confidence")
        if confidence is not None:
            if isinstance(confidence, bool) or not isinstance(confidence, (int, float)) or not 0 <= confidence <= 1:
                raise InputError(f"confidence {confidence!r} is not a number between 0 and 1", path=path, line=lineno)
            confidence = float(confidence)
        rationale = obj.get("rationale")
        judge = obj.get("judge")
        out.append(JsonVerdict(lineno, str(key).strip(), winner, confidence,
                               None if rationale is None else str(rationale),
                               None if judge is None else str(judge)))
    if not out:
        raise InputError("holds no verdict objects; add one JSON object per line", path=path)
    return out
