"""The files that come with a benchmark's judgments (Arena-Hard-Auto, FastChat MT-bench):
``question.jsonl`` (question text, group, MT-bench references) and ``model_answer/<model>.jsonl``
/ ``reference_answer/<model>.jsonl`` (answers per turn). They are read in the same command as
the judgments, staged in memory, and turned into items by the judgment file's module."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from reportgen.errors import InputError
from reportgen.ingest.common import Context

NO_GROUP = "(no group given)"


@dataclass
class Question:
    line: int
    turns: list[str]
    group: str | None
    references: list[str] | None


@dataclass
class Staged:
    path: Path
    rows: dict[str, object]
    what: str
    used: bool = False

    def check_used(self) -> None:
        if not self.used:
            raise InputError(f"holds {self.what}, but no Arena-Hard or MT-bench judgment file came with it; "
                             "give the judgments in the same command", path=self.path)


@dataclass
class Answers(Staged):
    model: str = ""


@dataclass
class Bundle:
    """What the judgments' module finds staged."""
    questions: Staged | None = None
    answers: dict[str, Answers] = field(default_factory=dict)
    references: Answers | None = None

    def check_ids(self, known: set[str]) -> None:
        """Every answer must be for a question the judgments or the question file know."""
        if self.questions:
            known = known | set(self.questions.rows)
        for staged in [*self.answers.values(), *([self.references] if self.references else [])]:
            for qid, (line, _) in staged.rows.items():
                if qid not in known:
                    raise InputError(f"answers question {qid!r}, which neither the judgments nor question.jsonl "
                                     "hold; is it the right benchmark's file?", path=staged.path, line=line)


def bundle(ctx: Context) -> Bundle:
    b = Bundle()
    for name, staged in ctx.staged.items():
        staged.used = True
        if name == "questions":
            b.questions = staged
        elif name == "references":
            b.references = staged
        else:
            b.answers[staged.model] = staged
    return b


def stage(ctx: Context, name: str, staged: Staged) -> None:
    if name in ctx.staged:
        raise InputError(f"is a second {staged.what} file in one command; give one", path=staged.path)
    ctx.staged[name] = staged


def item_rows(b: Bundle, items: list[tuple[str, str, int]], base: str, finetuned: str) -> list[dict]:
    """Items (key, question id, turn) with whatever text the companions hold: question, group,
    reference, both answers. Turn 2 of a two-turn question shows turn 1 as context."""
    rows = []
    base_answers, ft_answers = b.answers.get(base), b.answers.get(finetuned)
    for pos, (key, qid, turn) in enumerate(items):
        q: Question | None = b.questions.rows.get(qid) if b.questions else None
        question = None
        if q and len(q.turns) >= turn:
            question = q.turns[turn - 1]
            if turn > 1:
                question = f"(turn {turn}; turn 1 asked: {q.turns[0]})\n\n{question}"
        ref = None
        if q and q.references and len(q.references) >= turn:
            ref = q.references[turn - 1]
        elif b.references and qid in b.references.rows:
            turns = b.references.rows[qid][1]
            ref = turns[turn - 1] if len(turns) >= turn else None
        rows.append({
            "item_key": key, "position": pos, "question": question if question is not None else f"question {qid}",
            "paper": (q.group if q and q.group else NO_GROUP), "reference_answer": ref,
            "base_answer": _turn(base_answers, qid, turn), "finetuned_answer": _turn(ft_answers, qid, turn),
            "source_line": None,
        })
    return rows


def _turn(answers: Answers | None, qid: str, turn: int) -> str | None:
    if answers is None or qid not in answers.rows:
        return None
    turns = answers.rows[qid][1]
    return turns[turn - 1] if len(turns) >= turn else None


def text_of(turn) -> str:
    """A turn as FastChat (a string) or Arena-Hard ({"content": …}) writes it."""
    if isinstance(turn, dict):
        return str(turn.get("content", ""))
    return "" if turn is None else str(turn)
