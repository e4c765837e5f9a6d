"""What every judge backend provides, and how two orders become one verdict."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol

from reportgen.judge.prompt import ChatFormat


@dataclass(frozen=True)
class OrderScore:
    """One prompt evaluation: P(first answer better) from the next-token probabilities of
    the two letters, normalised over the two; the mass the model put on the letters at all."""
    p_first: float | None
    letter_mass: float
    prompt_tokens: int
    evaluated_tokens: int
    seconds: float


class PromptTooLong(Exception):
    """The item's prompt does not fit the model's context: its verdict is 'invalid', with this as the reason."""

    def __init__(self, tokens: int | None = None, n_ctx: int | None = None, detail: str = ""):
        self.tokens, self.n_ctx = tokens, n_ctx
        super().__init__(f"prompt of {tokens} tokens exceeds the model context of {n_ctx}" if tokens
                         else f"the server refused the prompt as too long ({detail})")


class Backend(Protocol):
    kind: str                # local | endpoint
    judge_name: str          # local:<model stem> | endpoint:<model>
    model: str               # model file name or served model name
    model_sha256: str | None
    chat: ChatFormat
    parameters: dict         # what changes results, stored with the run
    concurrency: int         # items judged at once (1: one after the other, in this thread)
    is_default_model: bool

    # optional: prepare(prompt: str) -> what score takes (the local judge: its tokens), run on a
    # helper thread for the next item while the current one is scored; without it score gets the text
    def score(self, prompt) -> OrderScore: ...
    def explain(self, prompt: str) -> str: ...
    def close(self) -> None: ...


def letter_probabilities(probs: dict[str, float]) -> tuple[float | None, float]:
    """From {token text: probability} (any subset of the vocabulary), P(A | A or B) and P(A) + P(B).
    Token texts are matched after stripping spaces ('A' and ' A' are both the letter A)."""
    pa = sum(p for t, p in probs.items() if t.strip() == "A")
    pb = sum(p for t, p in probs.items() if t.strip() == "B")
    mass = pa + pb
    return (pa / mass if mass > 0 else None), mass


@dataclass(frozen=True)
class Verdict:
    winner: str                 # base | finetuned | tie | invalid
    confidence: float | None    # probability that the winner is better (NULL for ties and invalid)
    p_finetuned: float | None   # combined P(fine-tuned better), the mean over the two orders
    orders_agree: bool | None
    reason: str = field(default="")


def combine(base_first: OrderScore, finetuned_first: OrderScore, *, tie_margin: float,
            min_mass: float) -> Verdict:
    """Two orders -> one verdict. Order 1 shows the base answer first, order 2 the fine-tuned one.
    P(fine-tuned better) is the mean of 1 - p_first(order 1) and p_first(order 2); disagreeing
    orders, or a probability within tie_margin of 0.5, make a tie; a letter mass under min_mass
    in either order (the model ignored the format) makes the verdict invalid."""
    if base_first.p_first is None or finetuned_first.p_first is None:
        return Verdict("invalid", None, None, None, "the model gave no probability to either letter")
    low = min(base_first.letter_mass, finetuned_first.letter_mass)
    if low < min_mass:
        return Verdict("invalid", None, None, None,
                       f"the model put only {low:.2f} of its probability on the letters A and B")
    p1 = 1.0 - base_first.p_first
    p2 = finetuned_first.p_first
    p = (p1 + p2) / 2
    agree = (p1 > 0.5) == (p2 > 0.5) and p1 != 0.5 and p2 != 0.5
    if not agree:
        return Verdict("tie", None, p, False, "the two orders disagree")
    if abs(p - 0.5) < tie_margin:
        return Verdict("tie", None, p, True, "too close to call")
    if p > 0.5:
        return Verdict("finetuned", p, p, True)
    return Verdict("base", 1.0 - p, p, True)


def softmax_subset(logits, ids: dict[str, list[int]]) -> dict[str, float]:
    """Per letter, the summed probability of its token ids under a full-vocabulary softmax of ``logits``."""
    import numpy as np
    x = np.asarray(logits, dtype=np.float64)
    m = float(x.max())
    log_z = m + math.log(float(np.exp(x - m).sum()))
    return {letter: sum(math.exp(float(x[i]) - log_z) for i in toks) for letter, toks in ids.items()}
