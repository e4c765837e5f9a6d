"""A benchmark's answer file, ``model_answer/<model>.jsonl`` or ``reference_answer/<model>.jsonl``
(Arena-Hard-Auto, FastChat MT-bench): one object per line with ``question_id`` (or ``uid``),
``model_id`` (or ``model``) and ``choices[0].turns`` (strings, or ``{"content": …}``), or, as Arena-Hard
v2 writes them, ``messages`` (the assistant's, each ``{"role": "assistant", "content": {"answer": …}}``, are
the turns). A file in a folder named ``reference_answer`` holds reference answers. Read with the judgments."""

from __future__ import annotations

from pathlib import Path

from reportgen.errors import InputError
from reportgen.ingest.common import Context, Options, Source, first_json_object, json_lines
from reportgen.ingest.companions import Answers, stage, text_of

NAME = "bench-answers"
ORDER = 0
COMPANION = True
EXAMPLE = '{"question_id": …, "model_id": …, "choices": [{"turns": […]}]}'


def detect(path: Path, head: str) -> bool:
    obj = first_json_object(head)
    return bool(obj) and ("question_id" in obj or "uid" in obj) and ("choices" in obj or "messages" in obj) \
        and "games" not in obj


def _turns(obj: dict, path: Path, line: int) -> list[str]:
    """The answer's turns: ``choices[0].turns``, or the assistant messages of ``messages`` (Arena-Hard v2)."""
    if "choices" not in obj and isinstance(obj.get("messages"), list):
        said = [m.get("content") for m in obj["messages"] if isinstance(m, dict) and m.get("role") == "assistant"]
        if said:
            return [text_of(c.get("answer", "") if isinstance(c, dict) else c) for c in said]
        raise InputError("'messages' holds no assistant message with the answer", path=path, line=line)
    choices = obj.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict) \
            or not isinstance(choices[0].get("turns"), list):
        raise InputError("'choices' must be a list whose first element has the answer's 'turns'",
                         path=path, line=line)
    return [text_of(t) for t in choices[0]["turns"]]


def check(path: Path, options: Options) -> Answers:
    rows: dict[str, tuple[int, list[str]]] = {}
    models: set[str] = set()
    for line, obj in json_lines(path, EXAMPLE):
        qid = obj.get("question_id", obj.get("uid"))
        model = obj.get("model_id", obj.get("model"))
        if qid is None or model is None:
            raise InputError("the answer has no 'question_id' or 'model_id'; is this a model_answer file?",
                             path=path, line=line)
        turns = _turns(obj, path, line)
        models.add(str(model))
        if len(models) > 1:
            raise InputError(f"holds answers of {' and '.join(sorted(models))}; give one model's answers per file",
                             path=path, line=line)
        if str(qid) in rows:
            raise InputError(f"answers question {qid!r} twice (first on line {rows[str(qid)][0]}); keep one",
                             path=path, line=line)
        rows[str(qid)] = (line, turns)
    reference = path.parent.name == "reference_answer"
    return Answers(path, rows, "reference answers" if reference else "answers", model=models.pop())


def write(ctx: Context, src: Source) -> list[str]:
    answers: Answers = src.plan
    reference = answers.what == "reference answers"
    stage(ctx, "references" if reference else f"answers:{answers.model}", answers)
    summary = [f"{answers.what} of {answers.model}, {len(answers.rows)} questions (for the judgments in this command)"]
    ctx.record_source(src, summary)
    return summary
