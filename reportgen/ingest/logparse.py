"""Streaming parser of the judge-log format (see README, "Judge log").

The parser reads one line at a time and keeps only the transcript being read, so memory
does not grow with the log. Answer text is untrusted: a section ends only at the exact
three-line header of the next section (80 '=', the header, 80 '-'), or for the last
answer at 80 '=' followed by the "Better Answer" line, so lines of '=' or '-', or
"Winner:" inside an answer, are read as answer text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from reportgen.errors import InputError
from reportgen.ingest.textfile import Lines

RULE_EQ = "=" * 80
RULE_DASH = "-" * 80
WINNERS = {"BASE": "base", "FINE_TUNED": "finetuned"}

_LOADED = re.compile(r"^Loaded (\d+) finetune entries from (.*)$")
_WINNER = re.compile(r"^Winner: EvalWinner\.(\S*)\s*$")
_SAVING = re.compile(r"^Saving base model win (\S+)\s*$")
_BETTER = re.compile(r"^Better Answer: EvalWinner\.(\S*)\s*$")
_FOOTER = [
    ("base_wins", re.compile(r"^Base Model Wins: (\d+)\s*$"), "Base Model Wins: <number>"),
    ("finetuned_wins", re.compile(r"^Fine-tuned Model Wins: (\d+)\s*$"), "Fine-tuned Model Wins: <number>"),
    ("total", re.compile(r"^Total Comparisons: (\d+)\s*$"), "Total Comparisons: <number>"),
    ("rate", re.compile(r"^Fine-tuned Win Rate: (\d+(?:\.\d+)?)%\s*$"), "Fine-tuned Win Rate: <percent>%"),
]
MAX_COUNT = 2**31 - 1  # the database's INTEGER (runs.declared_items)
SECTIONS = ("TRUE ANSWER:", "BASE MODEL ANSWER:", "FINETUNED MODEL ANSWER:")


def looks_like_judge_log(head: str) -> bool:
    first = head.lstrip("\ufeff").lstrip().split("\n", 1)[0]
    return bool(_LOADED.match(first.rstrip("\r")) or _WINNER.match(first.rstrip("\r")))


@dataclass
class LogVerdict:
    seq: int
    winner: str
    line: int


@dataclass
class Transcript:
    seq: int
    line: int
    question: str
    paper: str
    reference_answer: str
    base_answer: str
    finetuned_answer: str


@dataclass
class LogSummary:
    loaded: int | None = None
    loaded_from: str | None = None
    verdicts: int = 0
    base_wins: int = 0
    finetuned_wins: int = 0
    transcripts: int = 0
    footer: dict[str, float] | None = None
    footer_line: int | None = None
    footer_lines: dict[str, int] = field(default_factory=dict)
    # (transcript start, line) of the first fine-tuned answer that holds a line of '=' followed by
    # what looks like the next verdict: harmless if the footer agrees, the likely cause if not.
    suspect: tuple[int, int] | None = None
    notes: list[str] = field(default_factory=list)


def parse(path: Path, summary: LogSummary | None = None) -> Iterator[LogVerdict | Transcript]:
    """Yield every verdict and transcript of the log in file order.

    ``summary`` (if given) is filled in as the parse goes; it is complete once the
    iterator is exhausted, after the footer has been cross-checked."""
    s = summary if summary is not None else LogSummary()
    lines = Lines(path)
    last_verdict: LogVerdict | None = None
    transcript_done_for: int | None = None

    first = lines.peek()
    if first is not None:
        m = _LOADED.match(first[1])
        if m:
            lines.next()
            if len(m.group(1)) > 10 or int(m.group(1)) > MAX_COUNT:  # not int() of 5000 digits (ValueError)
                raise InputError(
                    f"the header says {_clip(m.group(1), 20)} entries were loaded, more than reportgen counts "
                    f"(at most {MAX_COUNT}); fix the number", path=path, line=first[0],
                )
            s.loaded, s.loaded_from = int(m.group(1)), m.group(2).strip()

    while (item := lines.next()) is not None:
        lineno, text = item
        if not text.strip():
            continue
        if s.footer is not None:
            if _LOADED.match(text) or _WINNER.match(text):
                raise InputError(
                    f"{_clip(text)!r} after the 'Final Results:' footer (line {s.footer_line}); the file looks "
                    "like two logs joined together, ingest them separately", path=path, line=lineno,
                )
            if text.startswith("Final Results:"):
                raise InputError(
                    f"a second 'Final Results:' footer (the first is on line {s.footer_line}); "
                    "the file looks like two logs joined together, ingest them separately",
                    path=path, line=lineno,
                )
            raise InputError(
                f"unexpected text after the 'Final Results:' footer: {_clip(text)!r}; "
                "remove it or split the file", path=path, line=lineno,
            )
        if m := _WINNER.match(text):
            label = m.group(1)
            if label not in WINNERS:
                raise InputError(
                    f"unknown winner label 'EvalWinner.{label}'; expected EvalWinner.BASE or "
                    "EvalWinner.FINE_TUNED", path=path, line=lineno,
                )
            last_verdict = LogVerdict(s.verdicts, WINNERS[label], lineno)
            s.verdicts += 1
            if last_verdict.winner == "base":
                s.base_wins += 1
            else:
                s.finetuned_wins += 1
            yield last_verdict
            continue
        if m := _SAVING.match(text):
            if last_verdict is None or last_verdict.winner != "base" or transcript_done_for == last_verdict.seq:
                raise InputError(
                    "'Saving base model win' does not follow an 'EvalWinner.BASE' verdict line; "
                    "each transcript must come right after its BASE verdict",
                    path=path, line=lineno,
                )
            if m.group(1) != str(last_verdict.seq):
                raise InputError(
                    f"'Saving base model win {m.group(1)}' should be {last_verdict.seq}: it is the "
                    f"{_ordinal(last_verdict.seq + 1)} verdict (verdict line {last_verdict.line}); "
                    "the log was edited or lines are missing",
                    path=path, line=lineno,
                )
            transcript = _read_transcript(path, lines, last_verdict, lineno, s)
            transcript_done_for = last_verdict.seq
            s.transcripts += 1
            yield transcript
            continue
        if text.startswith("Final Results:"):
            s.footer, s.footer_lines = _read_footer(path, lines)
            s.footer_line = lineno
            continue
        if _LOADED.match(text):
            raise InputError(
                "a second 'Loaded N finetune entries' header; the file looks like two logs "
                "joined together, ingest them separately", path=path, line=lineno,
            )
        if text.startswith(("Question:", "Context:", "Better Answer:")) or text in SECTIONS:
            raise InputError(
                f"{_clip(text)!r} outside a transcript; a transcript must start with "
                "'Saving base model win K' after its BASE verdict", path=path, line=lineno,
            )
        raise InputError(
            f"unexpected line {_clip(text)!r}; expected a 'Winner: EvalWinner.…' verdict, a "
            "transcript or the 'Final Results:' footer", path=path, line=lineno,
        )

    if s.footer is None:
        s.notes.append(
            "no 'Final Results:' footer: the run looks interrupted; "
            f"ingested the {s.verdicts} complete verdicts"
        )
    else:
        _check_footer(path, s)


def _read_transcript(path: Path, lines: Lines, verdict: LogVerdict, start: int, s: LogSummary) -> Transcript:
    def expect(prefix: str, what: str) -> str:
        item = lines.next()
        if item is None:
            raise InputError(
                f"the file ends inside the transcript that starts on line {start} "
                f"(expected {what}); the log is truncated, restore its end or remove the partial transcript",
                path=path, line=lines.last,
            )
        if not item[1].startswith(prefix):
            raise InputError(
                f"expected {what} in the transcript that starts on line {start}, found "
                f"{_clip(item[1])!r}; the transcript is malformed", path=path, line=item[0],
            )
        return item[1][len(prefix):]

    question = expect("Question:", "'Question: …'").removeprefix(" ")
    paper = expect("Context:", "'Context: …'").removeprefix(" ")
    while (nxt := lines.peek()) is not None and not nxt[1].strip():
        lines.next()  # blank lines before the first section
    expect(RULE_EQ, "a line of 80 '='")
    expect(SECTIONS[0], repr(SECTIONS[0]))
    expect(RULE_DASH, "a line of 80 '-'")
    answers = []
    for i, header in enumerate(SECTIONS):
        body_line = lines.lineno
        if i < 2:
            # the answer ends at the exact three lines that open the next section
            term = f"\n{RULE_EQ}\n{SECTIONS[i + 1]}\n{RULE_DASH}\n"
            idx = lines.find(term, max(lines.pos - 1, 0))
            end = idx + len(term)
        else:
            # the last answer ends at a line of '=' followed by the closing verdict line
            idx, end = _find_better(lines)
        if idx < 0:
            rest = lines.buf[lines.pos:]
            suspect = _suspect(rest, body_line) if i == 2 else None
            if suspect is not None:
                raise _missing_better(path, (start, suspect))
            raise InputError(
                f"the file ends inside the {header.rstrip(':').lower()} of the transcript that "
                f"starts on line {start}; the log is truncated, restore its end or remove the "
                "partial transcript", path=path, line=lines.last_line_of_file(),
            )
        body = lines.consume_to(idx, end)
        if i == 2:
            suspect = _suspect(body, body_line)
            if suspect is not None and s.suspect is None:
                s.suspect = (start, suspect)
        elif body.endswith("\n"):
            body = body[:-1]  # the blank line the writer puts before the next rule
        answers.append(body)
    return Transcript(verdict.seq, start, question, paper, *answers)


_BETTER_LINE = f"\n{RULE_EQ}\nBetter Answer: EvalWinner.BASE"


def _find_better(lines: Lines) -> tuple[int, int]:
    """(index of the newline before the closing rule, index after the verdict line), or (-1, -1).
    The answer is free text and may hold the closing lines itself: the closer is the first one that
    the log goes on from as it does after a transcript (a verdict, the footer, or its end), else the
    first one (and what follows it is reported)."""
    search = max(lines.pos - 1, 0)
    first: tuple[int, int] | None = None  # relative to lines.pos, which a refill moves with the buffer
    while True:
        idx = lines.find(_BETTER_LINE, search)
        if idx < 0:
            break
        rest_start, rest_end = lines.line_end(idx + len(_BETTER_LINE))
        if rest_end < 0:
            break
        # the find above may have refilled the buffer; locate the match again relative to rest_start
        idx = rest_start - len(_BETTER_LINE)
        if not lines.buf[rest_start:rest_end].strip():
            if _goes_on_after_a_transcript(lines, rest_end + 1):
                return idx, rest_end + 1
            if first is None:
                first = (idx - lines.pos, rest_end + 1 - lines.pos)
        search = idx + 1
    return (lines.pos + first[0], lines.pos + first[1]) if first else (-1, -1)


def _goes_on_after_a_transcript(lines: Lines, at: int) -> bool:
    """Whether the first line after ``at`` that is not blank is a verdict or the footer, or there is none."""
    rel = at - lines.pos
    while True:
        start, end = lines.line_end(lines.pos + rel)
        if end < 0:
            return True
        text = lines.buf[start:end]
        if text.strip():
            return bool(_WINNER.match(text)) or text.startswith("Final Results:")
        rel = end + 1 - lines.pos


def _suspect(body: str, first_line: int) -> int | None:
    """Line number of a line of '=' inside an answer that is followed by what looks like the next
    verdict (a transcript whose "Better Answer" line is missing), or None."""
    probe = "\n" + body
    rule = f"\n{RULE_EQ}\n"
    j = probe.find(rule)
    while j >= 0:
        k = j + len(rule)
        e = probe.find("\n", k)
        after = probe[k:] if e < 0 else probe[k:e]
        if _WINNER.match(after) or after.startswith(("Saving base model win", "Final Results:", "Better Answer:")):
            return first_line + body.count("\n", 0, j)
        j = probe.find(rule, j + 1)
    return None


def _read_footer(path: Path, lines: Lines) -> tuple[dict[str, float], dict[str, int]]:
    footer: dict[str, float] = {}
    where: dict[str, int] = {}
    for key, pattern, shape in _FOOTER:
        item = lines.next()
        if item is None:
            raise InputError(
                f"the 'Final Results:' footer is cut off (expected '{shape}'); restore the end of the log",
                path=path, line=lines.last,
            )
        m = pattern.match(item[1])
        if not m:
            raise InputError(
                f"expected '{shape}' in the footer, found {_clip(item[1])!r}", path=path, line=item[0],
            )
        if key != "rate" and len(m.group(1)) > 10:  # not int() of 5000 digits (ValueError)
            raise InputError(
                f"the footer's count {_clip(m.group(1), 20)} is more than reportgen counts (at most "
                f"{MAX_COUNT}); fix the footer", path=path, line=item[0],
            )
        footer[key] = float(m.group(1)) if key == "rate" else int(m.group(1))
        where[key] = item[0]
    return footer, where


def _missing_better(path: Path, suspect: tuple[int, int]) -> InputError:
    start, line = suspect
    with open(path, encoding="utf-8", errors="replace") as fh:
        after = next((text for i, text in enumerate(fh, 1) if i == line + 1), "").strip()
    if m := _BETTER.match(after):
        return InputError(
            f"'Better Answer: EvalWinner.{m.group(1)}' closes the transcript that starts on line {start}, "
            "but that transcript belongs to a BASE verdict; the log was edited, restore EvalWinner.BASE",
            path=path, line=line + 1,
        )
    return InputError(
        f"the transcript that starts on line {start} has no 'Better Answer: EvalWinner.BASE' line after "
        f"its fine-tuned answer; add it after line {line}", path=path, line=line,
    )


def _check_footer(path: Path, s: LogSummary) -> None:
    try:
        _compare_footer(path, s)
    except InputError:
        if s.suspect:
            raise _missing_better(path, s.suspect) from None
        raise


def _compare_footer(path: Path, s: LogSummary) -> None:
    f = s.footer
    assert f is not None
    counted = {"base_wins": s.base_wins, "finetuned_wins": s.finetuned_wins, "total": s.verdicts}
    for key, label in (("base_wins", "base wins"), ("finetuned_wins", "fine-tuned wins"),
                       ("total", "comparisons")):
        if f[key] != counted[key]:
            raise InputError(
                f"the footer says {int(f[key])} {label} but the log has {counted[key]} verdict lines of "
                "that kind; the log was edited or joined with another, fix the footer or the verdicts",
                path=path, line=s.footer_lines[key],
            )
    rate = 100 * s.finetuned_wins / s.verdicts if s.verdicts else 0.0
    if abs(f["rate"] - rate) > 0.05 + 1e-9:  # one decimal, rounded either way at a half (6.25 → 6.2 or 6.3)
        raise InputError(
            f"the footer's fine-tuned win rate {f['rate']}% disagrees with its counts "
            f"({s.finetuned_wins}/{s.verdicts} = {rate:.2f}%); fix the footer",
            path=path, line=s.footer_lines["rate"],
        )
    if s.transcripts != s.base_wins:
        raise InputError(
            f"{s.base_wins} BASE verdicts but {s.transcripts} transcripts; every BASE verdict "
            "needs its transcript", path=path, line=s.footer_line,
        )


def _clip(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
