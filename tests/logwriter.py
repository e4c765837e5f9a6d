"""Write judge logs in the evaluation script's format, for tests."""

from __future__ import annotations

from dataclasses import dataclass

EQ, DASH = "=" * 80, "-" * 80


@dataclass
class LogItem:
    winner: str  # "BASE" | "FINE_TUNED"
    question: str = "Q?"
    paper: str = "Paper"
    reference: str = "ref"
    base: str = "base answer"
    finetuned: str = "ft answer"


def write_log(items: list[LogItem], *, loaded: int | None = None, footer: bool = True,
              newline: str = "\n", bom: bool = False) -> str:
    out = [f"Loaded {loaded if loaded is not None else len(items)} finetune entries from /data/items.csv"]
    for k, it in enumerate(items):
        out.append(f"Winner: EvalWinner.{it.winner}")
        if it.winner == "BASE":
            out += [f"Saving base model win {k}", f"Question: {it.question}", f"Context: {it.paper}", "",
                    EQ, "TRUE ANSWER:", DASH, it.reference, "",
                    EQ, "BASE MODEL ANSWER:", DASH, it.base, "",
                    EQ, "FINETUNED MODEL ANSWER:", DASH, it.finetuned,
                    EQ, "Better Answer: EvalWinner.BASE"]
    if footer:
        b = sum(it.winner == "BASE" for it in items)
        f = len(items) - b
        rate = 100 * f / len(items) if items else 0
        out += ["", "Final Results:", f"Base Model Wins: {b}", f"Fine-tuned Model Wins: {f}",
                f"Total Comparisons: {len(items)}", f"Fine-tuned Win Rate: {rate:.1f}%"]
    text = newline.join(out) + newline
    return ("\ufeff" if bom else "") + text
