"""A benchmark's ``question.jsonl`` (Arena-Hard-Auto, FastChat MT-bench): one object per line with
``question_id`` (Arena-Hard v2: ``uid``), the text as ``turns`` (strings, or ``{"content": …}``) or
``prompt``, the group (``cluster``, else ``category``) and MT-bench's optional ``reference``.
Read together with the judgments, which it gives question text and groups."""

from __future__ import annotations

from pathlib import Path

from reportgen.errors import InputError
from reportgen.ingest.common import Context, Options, Source, first_json_object, json_lines
from reportgen.ingest.companions import Question, Staged, stage, text_of

NAME = "bench-questions"
ORDER = 0
COMPANION = True
EXAMPLE = '{"question_id": …, "turns": […], "category": …}'


def detect(path: Path, head: str) -> bool:
    obj = first_json_object(head)
    return bool(obj) and ("question_id" in obj or "uid" in obj) and ("turns" in obj or "prompt" in obj) \
        and "choices" not in obj and "games" not in obj


def check(path: Path, options: Options) -> Staged:
    rows: dict[str, Question] = {}
    for line, obj in json_lines(path, EXAMPLE):
        qid = obj.get("question_id", obj.get("uid"))
        if qid is None:
            raise InputError("the question has no 'question_id'; is this a question.jsonl?", path=path, line=line)
        qid = str(qid)
        if "turns" in obj:
            if not isinstance(obj["turns"], list) or not obj["turns"]:
                raise InputError("'turns' must be a non-empty list of the question's turns", path=path, line=line)
            turns = [text_of(t) for t in obj["turns"]]
        elif "prompt" in obj:
            turns = [str(obj["prompt"])]
        else:
            raise InputError("the question has no 'turns' or 'prompt'; add its text as \"turns\": [\"…\"]",
                             path=path, line=line)
        if qid in rows:
            raise InputError(f"question {qid!r} is listed twice (first on line {rows[qid].line}); keep one",
                             path=path, line=line)
        group = obj.get("cluster") or obj.get("subcategory") or obj.get("category")  # v2: subcategory within one
        refs = obj.get("reference")
        rows[qid] = Question(line, turns, None if group is None else str(group),
                             [text_of(r) for r in refs] if isinstance(refs, list) and refs else None)
    return Staged(path, rows, "questions")


def write(ctx: Context, src: Source) -> list[str]:
    staged: Staged = src.plan
    stage(ctx, "questions", staged)
    groups = {q.group for q in staged.rows.values() if q.group}
    summary = [f"questions, {len(staged.rows)} with {len(groups)} groups (for the judgments in this command)"]
    ctx.record_source(src, summary)
    return summary
