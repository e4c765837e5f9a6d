"""Synthetic evaluation data for demos and benchmarks: an items CSV, a judge log in the
evaluation script's format and a verdict JSONL, deterministic from a seed.

Answers are 1-4 KB of Markdown (paragraphs, lists, bold, code blocks). Fine-tuned
answers that lose are made to show the failure modes of the real example (shorter,
"Source:" lines, copied author metadata, cut-off endings) so every table has data."""

from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass
from pathlib import Path

WORDS = ("model data training evaluation attention layer token context retrieval alignment benchmark "
         "parameter gradient inference latency memory dataset paper method result baseline accuracy "
         "survey small large language fine-tuning reward policy sampling decoding prompt answer question "
         "reference citation domain knowledge hallucination distillation quantization adapter").split()
TOPICS = ("Efficient", "Scalable", "Robust", "Sparse", "Aligned", "Retrieval-Augmented", "Multilingual",
          "Small", "Long-Context", "Instruction-Tuned")
NOUNS = ("Transformers", "Language Models", "Adapters", "Reward Models", "Tokenizers", "Agents", "Retrievers",
         "Judges", "Benchmarks", "Distillation")


@dataclass
class SynthResult:
    csv: Path
    log: Path
    jsonl: Path
    items: int
    base_wins: int
    finetuned_wins: int


def _sentence(rng: random.Random, n: int | None = None) -> str:
    words = [rng.choice(WORDS) for _ in range(n or rng.randint(8, 18))]
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(2, 5)))


def _answer(rng: random.Random, target: int) -> str:
    parts: list[str] = []
    size = 0
    while size < target:
        kind = rng.random()
        if kind < 0.55:
            block = _paragraph(rng)
        elif kind < 0.75:
            block = "\n".join(f"{i}. **{rng.choice(WORDS).capitalize()}**: {_sentence(rng)}"
                              for i in range(1, rng.randint(3, 5)))
        elif kind < 0.9:
            block = "\n".join(f"- {_sentence(rng, 8)}" for _ in range(rng.randint(2, 4)))
        else:
            block = ("```python\n" + "\n".join(
                f"{rng.choice(WORDS)}_{i} = {rng.choice(WORDS)}({rng.randint(1, 99)})" for i in range(rng.randint(2, 6)))
                + "\n```")
        parts.append(block)
        size += len(block) + 2
    return "\n\n".join(parts)


def _papers(rng: random.Random, n: int) -> list[str]:
    seen: list[str] = []
    i = 0
    while len(seen) < n:
        title = f"{rng.choice(TOPICS)} {rng.choice(NOUNS)}: {_sentence(rng, 5)[:-1].title()}"
        if i >= 50:
            title += f" ({len(seen) + 1})"
        if title not in seen:
            seen.append(title)
        i += 1
    return seen


def _loser(rng: random.Random, base: str, paper: str, other_paper: str) -> str:
    """A fine-tuned answer that lost: shorter, and often with the real example's habits."""
    text = base[: max(200, int(len(base) * rng.uniform(0.35, 0.8)))]
    r = rng.random()
    if r < 0.15:
        return text.rstrip(".") + " and the"  # stops mid-sentence
    text = text.rsplit(".", 1)[0] + "."
    if r < 0.75:
        cited = other_paper if rng.random() < 0.15 else paper
        text += f"\n\nSource: \"{cited}\""
    if rng.random() < 0.2:
        text += "\nA. Author[1], B. Writer[2]\n1 Example University\nfirst.author@example.org"
    return text


def generate(out: Path, *, items: int, papers: int = 12, base_share: float = 0.35, tie_share: float = 0.03,
             invalid_share: float = 0.01, seed: int = 0, name: str = "synthetic") -> SynthResult:
    """Write ``<name>.csv``, ``<name>.judge.log`` and ``<name>.verdicts.jsonl`` under ``out``."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    titles = _papers(rng, papers)
    # each paper gets its own strength so per-paper rates differ
    paper_base_share = [min(0.95, max(0.02, rng.gauss(base_share, 0.12))) for _ in titles]
    csv_path, log_path, jsonl_path = (out / f"{name}.csv", out / f"{name}.judge.log", out / f"{name}.verdicts.jsonl")
    base_wins = ft_wins = 0
    with open(csv_path, "w", newline="", encoding="utf-8") as fc, \
         open(log_path, "w", encoding="utf-8", newline="\n") as fl, \
         open(jsonl_path, "w", encoding="utf-8", newline="\n") as fj:
        writer = csv.writer(fc, lineterminator="\n")
        writer.writerow(["id", "question", "context", "true_answer", "base_model_answer", "finetuned_model_answer"])
        fl.write(f"Loaded {items} finetune entries from {csv_path.name}\n")
        for k in range(items):
            p = rng.randrange(papers)
            paper = titles[p]
            question = f"What does '{paper}' say about {rng.choice(WORDS)} {rng.choice(WORDS)} ({k})?"
            reference = _answer(rng, rng.randint(1000, 4000))
            base = _answer(rng, rng.randint(1000, 4000))
            base_won = rng.random() < paper_base_share[p]
            finetuned = (_loser(rng, base, paper, titles[(p + 1) % papers]) if base_won
                         else _answer(rng, rng.randint(1000, 4000)))
            item_id = f"s{k:07d}"
            writer.writerow([item_id, question, paper, reference, base, finetuned])
            # the judge log: the evaluation script only knows BASE and FINE_TUNED
            fl.write(f"Winner: EvalWinner.{'BASE' if base_won else 'FINE_TUNED'}\n")
            if base_won:
                base_wins += 1
                fl.write(_transcript(k, question, paper, reference, base, finetuned))
            else:
                ft_wins += 1
            # a second judge, with ties and invalid verdicts, that mostly agrees
            r = rng.random()
            if r < invalid_share:
                winner = "invalid"
            elif r < invalid_share + tie_share:
                winner = "tie"
            else:
                agree = rng.random() < 0.85
                winner = ("base" if base_won else "finetuned") if agree else ("finetuned" if base_won else "base")
            fj.write(json.dumps({"item": item_id, "winner": winner, "confidence": round(rng.uniform(0.5, 1.0), 3),
                                 "judge": "synthetic-judge-b"}) + "\n")
        rate = 100 * ft_wins / items if items else 0.0
        fl.write(f"\nFinal Results:\nBase Model Wins: {base_wins}\nFine-tuned Model Wins: {ft_wins}\n"
                 f"Total Comparisons: {items}\nFine-tuned Win Rate: {rate:.1f}%\n")
    return SynthResult(csv_path, log_path, jsonl_path, items, base_wins, ft_wins)


def _transcript(k: int, question: str, paper: str, reference: str, base: str, finetuned: str) -> str:
    eq, dash = "=" * 80, "-" * 80
    return (f"Saving base model win {k}\nQuestion: {question}\nContext: {paper}\n\n"
            f"{eq}\nTRUE ANSWER:\n{dash}\n{reference}\n\n"
            f"{eq}\nBASE MODEL ANSWER:\n{dash}\n{base}\n\n"
            f"{eq}\nFINETUNED MODEL ANSWER:\n{dash}\n{finetuned}\n"
            f"{eq}\nBetter Answer: EvalWinner.BASE\n")
