"""The statistics of the field's standard judge outputs, as pure functions over arrays.

AlpacaEval (one order, the judge's probability that the model is better), Arena-Hard-Auto
(two orders per question, graded labels ``A>>B`` … ``B>>A``) and paired comparisons of two
runs over the same items. No database and no file formats here: callers pass numbers or
labels and get back plain dicts of Python floats/ints (None where a figure is undefined),
ready for JSON. Rates are percentages (0–100). Values outside the documented domain raise
``ValueError`` naming the position of the first bad value; callers turn that into their own
file-and-line message.

How AlpacaEval and Arena-Hard compute their published figures is described in
``shared/data/external/README.md``; ``win_rate``, ``standard_error``, ``discrete_win_rate``
and the Arena-Hard score reproduce the published numbers of those files.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

Z95 = 1.959963984540054  # the 97.5 % quantile of the standard normal, as in the SQL wilson macros


def _expit(x):
    """The logistic function 1 / (1 + e^-x), scipy.special.expit's formula: importing scipy for it
    would cost a site rebuild that refits the length-controlled rate a third of a second."""
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


OUTCOME_SCORE = {"finetuned": 1.0, "tie": 0.5, "base": 0.0}
OUTCOMES = (*OUTCOME_SCORE, "invalid")
ARENA_LABELS = ("A>>B", "A>B", "A=B", "B>A", "B>>A")


def _floats(p) -> np.ndarray:
    """``p`` as a 1-d float array, None as NaN."""
    if isinstance(p, np.ndarray) and p.dtype.kind in "fiub":
        return p.astype(float).ravel()
    return np.array([np.nan if x is None else x for x in p], dtype=float).ravel()


def _probabilities(p) -> np.ndarray:
    """``p`` as a float array with None/NaN dropped; anything outside [0, 1] is an error."""
    arr = _floats(p)
    bad = np.flatnonzero(~np.isnan(arr) & ~((arr >= 0) & (arr <= 1)))
    if bad.size:
        i = int(bad[0])
        raise ValueError(f"probability at position {i} is {float(arr[i])!r}; it must lie in [0, 1] (or be None/NaN)")
    return arr[~np.isnan(arr)]


def _normal_interval(mean: float, se: float | None, lo: float, hi: float) -> tuple[float | None, float | None]:
    if se is None or not math.isfinite(se):
        return None, None
    return max(lo, mean - Z95 * se), min(hi, mean + Z95 * se)


def probability_win_rate(p) -> dict:
    """AlpacaEval's ``win_rate`` and ``standard_error`` of the probabilities ``p`` that the
    fine-tuned model is better (None/NaN dropped): 100·mean(p) and 100·SEM(p) with ddof=1,
    as pandas' ``sem`` in ``alpaca_eval.metrics.helpers``. A draw (p = 0.5) therefore counts
    ½ by construction. ``ci_low``/``ci_high``: mean ± 1.96·SE, clipped to [0, 100]
    (None with fewer than two values, where the SE is undefined)."""
    x = _probabilities(p)
    n = int(x.size)
    if n == 0:
        return {"win_rate": None, "standard_error": None, "ci_low": None, "ci_high": None, "n": 0}
    rate = 100.0 * float(x.mean())
    se = 100.0 * float(x.std(ddof=1)) / math.sqrt(n) if n > 1 else None
    lo, hi = _normal_interval(rate, se, 0.0, 100.0)
    return {"win_rate": rate, "standard_error": se, "ci_low": lo, "ci_high": hi, "n": n}


def discrete_counts(p) -> dict:
    """AlpacaEval's ZeroOneScoringRule: each probability is rounded to a verdict: p > 0.5 a
    win, p < 0.5 a loss, exactly 0.5 a draw (None/NaN dropped). ``discrete_win_rate`` =
    100·(wins + ½·draws)/n, None when n = 0."""
    x = _probabilities(p)
    wins, losses = int((x > 0.5).sum()), int((x < 0.5).sum())
    draws, n = int((x == 0.5).sum()), int(x.size)
    rate = 100.0 * (wins + 0.5 * draws) / n if n else None
    return {"wins": wins, "losses": losses, "draws": draws, "n": n, "discrete_win_rate": rate}


def _wilson(k: float, n: int) -> tuple[float, float]:
    phat = k / n
    centre = phat + Z95**2 / (2 * n)
    half = Z95 * math.sqrt(phat * (1 - phat) / n + Z95**2 / (4 * n * n))
    denom = 1 + Z95**2 / n
    return max(0.0, (centre - half) / denom), min(1.0, (centre + half) / denom)


def tie_half_rate(wins: int, losses: int, ties: int) -> dict:
    """The win rate with ties counted as half a win: 100·(wins + ½·ties)/n, n = wins +
    losses + ties, with a 95 % Wilson score interval on the half-counted score
    k = wins + ½·ties out of n.

    Why Wilson on the half-count: a per-item score in {0, ½, 1} with mean m has variance
    m(1 − m) − ties/(4n) ≤ m(1 − m), so the Bernoulli variance Wilson assumes is an upper
    bound and the interval is conservative (exact Wilson when there are no ties, the same
    as the ``wilson_low``/``wilson_high`` SQL macros). Unlike a normal interval on per-item
    scores it stays inside [0, 100] and does not collapse to a point at 0 % or 100 % or for
    small n. All None when n = 0."""
    for name, v in (("wins", wins), ("losses", losses), ("ties", ties)):
        if v < 0 or int(v) != v:
            raise ValueError(f"{name} must be a non-negative whole number, not {v!r}")
    n = int(wins + losses + ties)
    if n == 0:
        return {"rate": None, "ci_low": None, "ci_high": None, "n": 0}
    k = wins + 0.5 * ties
    lo, hi = _wilson(k, n)
    return {"rate": 100.0 * k / n, "ci_low": 100.0 * lo, "ci_high": 100.0 * hi, "n": n}


def _arena_battles(labels: Sequence, model_is_a: bool, weight: int, game: int) -> np.ndarray:
    """Per question: (model-win battles, tie battles, baseline-win battles) of one game."""
    out = np.zeros((len(labels), 3), dtype=np.int64)
    model_strong, model_win, base_win, base_strong = (
        ("A>>B", "A>B", "B>A", "B>>A") if model_is_a else ("B>>A", "B>A", "A>B", "A>>B"))
    counts = {model_strong: (weight, 0, 0), model_win: (1, 0, 0), "A=B": (0, 1, 0),
              base_win: (0, 0, 1), base_strong: (0, 0, weight), None: (0, 0, 0)}
    for i, label in enumerate(labels):
        try:
            out[i] = counts[label]
        except (KeyError, TypeError):
            raise ValueError(f"game {game} score at position {i} is {label!r}; expected one of "
                             f"{', '.join(ARENA_LABELS)} or None") from None
    return out


def _bootstrap_ratio(num: np.ndarray, den: np.ndarray, rounds: int, rng: np.random.Generator) -> np.ndarray:
    """100·sum(num)/sum(den) over ``rounds`` resamples (with replacement) of the rows; rounds
    are drawn in chunks so memory stays bounded for large inputs. Resamples with den = 0 give NaN."""
    n = num.size
    out = np.empty(rounds)
    chunk = max(1, 4_000_000 // max(n, 1))
    for start in range(0, rounds, chunk):
        idx = rng.integers(0, n, size=(min(chunk, rounds - start), n))
        d = den[idx].sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[start:start + idx.shape[0]] = 100.0 * num[idx].sum(axis=1) / d
    return out


def arena_hard_score(g1, g2, *, weight: int = 3, rounds: int = 1000, seed: int = 0) -> dict:
    """Arena-Hard-Auto's score against its baseline, from the two games per question.

    ``g1[i]``/``g2[i]`` are question i's labels: game 1 shows the baseline as A and the model
    as B, game 2 swaps them (model = A); None = the judge's verdict could not be parsed, so
    that game adds no battle. A ``>>``/``<<`` verdict is ``weight`` identical battles, every
    other verdict one. ``score`` = 100·(model wins + ½·ties)/battles, which is exactly what
    Arena-Hard's unpenalised Bradley–Terry fit gives when every model plays only the baseline.
    ``wins``/``losses``/``ties``/``battles`` count weighted battles; ``n_questions`` counts
    questions with at least one battle.

    Interval: percentile bootstrap (2.5 %, 97.5 %) over questions: ``rounds`` resamples of
    the questions with battles, with replacement, each rescored; reproducible for a given
    ``seed``. (Arena-Hard itself resamples single battles, which treats the two games and the
    ``weight`` copies of one question as independent and gives narrower intervals.)"""
    if len(g1) != len(g2):
        raise ValueError(f"game 1 has {len(g1)} scores and game 2 {len(g2)}; they must pair up per question")
    if int(weight) != weight or weight < 1:
        raise ValueError(f"weight must be a whole number ≥ 1, not {weight!r}")
    per_q = _arena_battles(g1, False, int(weight), 1) + _arena_battles(g2, True, int(weight), 2)
    per_q = per_q[per_q.sum(axis=1) > 0]
    wins, ties, losses = (int(c) for c in per_q.sum(axis=0))
    battles = wins + ties + losses
    out = {"score": None, "ci_low": None, "ci_high": None, "battles": battles,
           "n_questions": int(per_q.shape[0]), "wins": wins, "losses": losses, "ties": ties}
    if battles == 0:
        return out
    out["score"] = 100.0 * (wins + 0.5 * ties) / battles
    if rounds > 0:
        boot = _bootstrap_ratio(per_q[:, 0] + 0.5 * per_q[:, 1], per_q.sum(axis=1).astype(float),
                                int(rounds), np.random.default_rng(seed))
        out["ci_low"], out["ci_high"] = (float(v) for v in np.percentile(boot, [2.5, 97.5]))
    return out


def _separated(p: np.ndarray, z: np.ndarray) -> bool:
    """Whether the logistic MLE of p on (1, z) fails to exist: some threshold on z has every
    item with p > 0 on one side and every item with p < 1 on the other (items with 0 < p < 1
    all on the threshold), so the fit can push the slope to infinity. Exact for one covariate;
    (statsmodels' PerfectSeparationWarning, by contrast, also fires when fractional outcomes are
    fitted exactly, and misses some quasi-separations.)"""
    pos, neg = z[p > 0], z[p < 1]
    if pos.size == 0 or neg.size == 0:
        return True
    return bool(neg.max() <= pos.min() or pos.max() <= neg.min())


def _newton(y: np.ndarray, z: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Maximise the logistic log-likelihood of y (fractional outcomes in [0, 1]) on (1, z) for
    each row of ``y`` and ``z`` at once, from the coefficients ``b`` (one row of two per row), by
    Newton's method: for the canonical link what statsmodels' GLM IRLS does, run until the step
    is below 1e-10 (statsmodels stops at a 1e-8 change of the deviance, so the two agree to about
    1e-8). Returns the coefficients and which rows converged within 100 steps to finite values."""
    b = b.astype(float).copy()
    done = np.zeros(y.shape[0], dtype=bool)
    with np.errstate(all="ignore"):
        for _ in range(100):
            live = np.flatnonzero(~done)
            if live.size == 0:
                break
            yl, zl, bl = y[live], z[live], b[live]
            mu = _expit(bl[:, :1] + bl[:, 1:] * zl)
            w, res = mu * (1 - mu), yl - mu
            g0, g1 = res.sum(axis=1), (res * zl).sum(axis=1)
            h00, h01, h11 = w.sum(axis=1), (w * zl).sum(axis=1), (w * zl * zl).sum(axis=1)
            det = h00 * h11 - h01 * h01
            step = np.column_stack([(h11 * g0 - h01 * g1) / det, (h00 * g1 - h01 * g0) / det])
            b[live] = bl + step
            done[live] = (np.all(np.abs(step) <= 1e-10 * (1 + np.abs(bl)), axis=1)
                          | ~np.isfinite(step).all(axis=1))
    return b, done & np.isfinite(b).all(axis=1)


def _lc_fit(p: np.ndarray, delta: np.ndarray):
    """Fit the length GLM; returns (intercept, tanh coefficient, robust (HC0) standard error of
    the intercept) or a note why it cannot. The robust error is the sandwich H⁻¹ (Σ rᵢ² xᵢxᵢᵀ) H⁻¹
    with H = Σ μᵢ(1 − μᵢ) xᵢxᵢᵀ and rᵢ = pᵢ − μᵢ, as statsmodels' ``cov_type="HC0"`` computes it
    (tests/test_fieldstats.py compares both with statsmodels)."""
    sd = float(delta.std(ddof=1))
    if not sd > 0:
        return "the length difference does not vary, so its effect cannot be estimated"
    z = np.tanh(delta / sd)
    if _separated(p, z):
        return "the outcomes are perfectly separated by length, so the logistic fit has no finite solution"
    b, ok = _newton(p[None, :], z[None, :], np.zeros((1, 2)))
    if not ok[0]:
        return "the logistic fit did not converge to finite coefficients"
    b0, b1 = (float(v) for v in b[0])
    mu = _expit(b0 + b1 * z)
    x = np.column_stack([np.ones_like(z), z])
    bread = np.linalg.inv(x.T @ (x * (mu * (1 - mu))[:, None]))
    cov = bread @ (x.T @ (x * ((p - mu) ** 2)[:, None])) @ bread
    return b0, b1, float(math.sqrt(cov[0, 0]))


def _lc_bootstrap(p: np.ndarray, delta: np.ndarray, resamples: list[np.ndarray],
                  start: tuple[float, ...]) -> tuple[np.ndarray, int]:
    """The length-controlled rate (percent) of each resample of the items (index arrays), with Δ
    rescaled by the resample's own sd and the GLM refitted from the full fit's coefficients, all
    resamples at once; and the number of resamples whose fit fails as ``_lc_fit``'s would (Δ
    constant, outcomes separated by length, no convergence)."""
    if not resamples:
        return np.empty(0), 0
    idx = np.stack(resamples)
    y, d = p[idx], delta[idx]
    sd = d.std(axis=1, ddof=1)
    ok = sd > 0
    z = np.tanh(d / np.where(ok, sd, 1.0)[:, None])
    for r in np.flatnonzero(ok):
        ok[r] = not _separated(y[r], z[r])
    b, converged = _newton(y[ok], z[ok], np.tile(np.asarray(start[:2], dtype=float), (int(ok.sum()), 1)))
    return 100.0 * _expit(b[converged, 0]), len(resamples) - int(converged.sum())


BOOTSTRAP_MAX_ITEMS = 20_000  # above it, refitting 100 resamples costs minutes; the normal interval is then accurate


LC_MIN_ITEMS = 10  # the fewest items a length-controlled rate is fitted on


def length_controlled_win_rate(p, len_model, len_baseline, *, rounds: int = 200, seed: int = 0) -> dict:
    """A length-controlled win rate in the manner of AlpacaEval 2, for one run on its own.

    Model: a logistic GLM of ``p`` (the probability the fine-tuned model is better, used as a
    fractional outcome; the maximum-likelihood fit statsmodels' ``GLM(family=Binomial())`` gives,
    computed here with numpy) on an intercept and
    tanh(Δ/sd(Δ)), Δ = len_model − len_baseline (scaled by its sample sd, ddof=1, not centred,
    as AlpacaEval's ``std_delta_len``). The length-controlled rate is 100·mean of the
    predictions with the length term set to 0, which with only an intercept is
    100·logistic(intercept). ``length_coefficient`` is the tanh term's coefficient (> 0: longer
    answers of the fine-tuned model are preferred). ``raw_win_rate`` = 100·mean(p). Items whose
    p is None/NaN are dropped together with their lengths.

    Interval: percentile bootstrap over items (``rounds`` resamples, Δ rescaled and the GLM
    refitted in each from the full fit's coefficients, seeded by ``seed``). Above
    ``BOOTSTRAP_MAX_ITEMS`` items: a normal interval from the fit's robust (HC0, right for a
    fractional outcome) standard error of the intercept, mapped through the logistic; ``interval``
    says which; resamples whose fit fails are left out and counted
    in ``bootstrap_failures``.

    How this differs from AlpacaEval's own LC: theirs (``metrics/glm_winrate.py``) also has a
    per-instruction difficulty term learned from the annotations of many models on the same
    805 instructions, is fitted by L1-regularised ``LogisticRegressionCV`` without an
    intercept, and is pulled towards two "gamed" baselines (verbose and concise variants of
    the baseline, weight 0.2) so that length can be separated from quality. One run alone has
    neither, so this figure is not the leaderboard's LC; it answers "what would the win rate
    be if the two answers were equally long" under a single-slope model.

    Degenerate input (n < 10, all p equal, no variation of Δ, perfect separation or a failed
    fit) returns None figures and a ``note`` saying why; ``note`` is None otherwise."""
    arr = _floats(p)
    lm = np.asarray(len_model, dtype=float).ravel()
    lb = np.asarray(len_baseline, dtype=float).ravel()
    if not (arr.size == lm.size == lb.size):
        raise ValueError(f"p, len_model and len_baseline must have one value per item "
                         f"(got {arr.size}, {lm.size}, {lb.size})")
    keep = ~np.isnan(arr)
    for name, v in (("len_model", lm), ("len_baseline", lb)):
        bad = np.flatnonzero(keep & ~(np.isfinite(v) & (v >= 0)))
        if bad.size:
            raise ValueError(f"{name} at position {int(bad[0])} is {float(v[bad[0]])!r}; "
                             "lengths must be finite and ≥ 0")
    _probabilities(arr)  # range check
    x, delta = arr[keep], (lm - lb)[keep]
    n = int(x.size)
    out = {"length_controlled_win_rate": None, "ci_low": None, "ci_high": None, "length_coefficient": None,
           "raw_win_rate": 100.0 * float(x.mean()) if n else None, "n": n, "bootstrap_failures": 0,
           "note": None, "interval": None}
    if n < LC_MIN_ITEMS:
        out["note"] = f"only {n} judged items; a length-controlled rate needs at least {LC_MIN_ITEMS}"
        return out
    if np.all(x == x[0]):
        out["note"] = f"every verdict has the same probability ({x[0]:g}), so no length effect can be estimated"
        return out
    fit = _lc_fit(x, delta)
    if isinstance(fit, str):
        out["note"] = fit
        return out
    b0, b1, se0 = fit
    out["length_controlled_win_rate"], out["length_coefficient"] = 100.0 * float(_expit(b0)), b1
    if n > BOOTSTRAP_MAX_ITEMS:  # a robust normal interval on the intercept, mapped through the logistic
        out["interval"] = "robust normal (HC0), n above the bootstrap limit"
        out["ci_low"], out["ci_high"] = (100.0 * float(_expit(b0 + k * 1.959963984540054 * se0)) for k in (-1, 1))
        return out
    out["interval"] = f"percentile bootstrap, {int(rounds)} rounds"
    rng = np.random.default_rng(seed)
    boot, failures = _lc_bootstrap(x, delta, [rng.integers(0, n, size=n) for _ in range(int(rounds))], fit)
    out["bootstrap_failures"] = failures
    if boot.size:
        out["ci_low"], out["ci_high"] = (float(v) for v in np.percentile(boot, [2.5, 97.5]))
    return out


def _sign_test_p(up: int, down: int) -> float:
    """The exact two-sided sign test: a binomial test of ``up`` out of ``up + down`` at ½; 1.0 with neither."""
    if not up + down:
        return 1.0
    from scipy import stats  # imported here: a third of a second for every command that reads this module
    return float(stats.binomtest(up, up + down, 0.5).pvalue)


def newcombe_paired_interval(n11: float, n10: float, n01: float, n00: float) -> tuple[float, float] | tuple[None, None]:
    """Newcombe's hybrid score interval (Newcombe 1998, method 10) for the difference p1 − p2 of two paired
    proportions, p1 = (n11 + n10)/n and p2 = (n11 + n01)/n: the 95 % Wilson intervals (l1, u1) of p1 and (l2, u2) of
    p2, and phi, the table's correlation with Newcombe's correction: (ad − bc − n/2)/√((a+b)(c+d)(a+c)(b+d)) where
    ad − bc > n/2, 0 where 0 ≤ ad − bc ≤ n/2, (ad − bc)/√(…) where it is negative, and 0 where the denominator is 0
    (without the correction the interval is a point when nothing changed at 50 %):

        low  = p1 − p2 − √((p1 − l1)² − 2·phi·(p1 − l1)·(u2 − p2) + (u2 − p2)²)
        high = p1 − p2 + √((u1 − p1)² − 2·phi·(u1 − p1)·(p2 − l2) + (p2 − l2)²)

    Counts may hold halves (the tie-half split of ``paired_comparison``). (None, None) when n = 0. Fractions, within
    [−1, 1]."""
    n = n11 + n10 + n01 + n00
    if n <= 0:
        return None, None
    p1, p2 = (n11 + n10) / n, (n11 + n01) / n
    l1, u1 = _wilson(n11 + n10, n)
    l2, u2 = _wilson(n11 + n01, n)
    den = (n11 + n10) * (n01 + n00) * (n11 + n01) * (n10 + n00)
    cross = n11 * n00 - n10 * n01
    phi = 0.0 if den <= 0 else (cross - n / 2 if cross > n / 2 else min(cross, 0.0)) / math.sqrt(den)
    delta = math.sqrt(max(0.0, (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2))
    eps = math.sqrt(max(0.0, (u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2))
    return max(-1.0, p1 - p2 - delta), min(1.0, p1 - p2 + eps)


def paired_comparison(a: Sequence[str], b: Sequence[str]) -> dict:
    """Two runs (a = earlier, b = later) judged on the same items: ``a[i]`` and ``b[i]`` are
    item i's outcome, each "finetuned" (the fine-tuned model won), "base", "tie" or "invalid".
    (Pairing items is the caller's: the report pairs only items whose question is the same in both runs.)

    Pairs where either outcome is "invalid" are left out of every figure below and counted in
    ``invalid_pairs``; ``n`` is the number of pairs used.

    - Score per item: finetuned 1, tie ½, base 0. ``rate_a``/``rate_b`` = 100·mean score;
      ``difference`` = rate_b − rate_a.
    - ``ci_low``/``ci_high``: Newcombe's hybrid score interval for paired proportions (1998, method 10,
      ``newcombe_paired_interval``). For the tie-half scores each item is split into two half-weight items
      scoring 1 or 0 (finetuned: 1 and 1; tie: 1 and 0; base: 0 and 0), the two runs' halves coupled
      comonotonically (the higher half with the higher half: tie against tie is (1, 1) + (0, 0), tie against
      a win (1, 1) + (0, 1)), so the 2×2 table ``h11, h10, h01, h00`` (b's half first) has half counts and
      its marginal means are the two rates. With no ties it is exactly Newcombe's method 10. None when n = 0.
    - The 2×2 table of fine-tuned wins: ``both`` (a win in both runs), ``neither``,
      ``a_only`` (a win in a, not in b), ``b_only`` (a win in b, not in a); a tie or base
      win is "not a win". ``flips_to_b`` = items that went from not-a-win in a to a win in b
      (= ``b_only``), ``flips_to_a`` = from a win in a to not-a-win in b (= ``a_only``).
    - ``items_up``/``items_down``: items whose score is higher/lower in b than in a (each item once);
      ``sign_test_p``: the exact two-sided sign test on them, a binomial test of items_up out of
      items_up + items_down at ½ (scipy ``binomtest``); 1.0 when no score changed. With no ties it is
      the exact McNemar test on a_only and b_only.
    """
    if len(a) != len(b):
        raise ValueError(f"run a has {len(a)} outcomes and run b {len(b)}; pass the common items in the same order")
    for name, run in (("a", a), ("b", b)):
        for i, o in enumerate(run):
            if o not in OUTCOMES:
                raise ValueError(f"run {name} outcome at position {i} is {o!r}; expected one of {', '.join(OUTCOMES)}")
    pairs = [(x, y) for x, y in zip(a, b) if x != "invalid" and y != "invalid"]
    n = len(pairs)
    sa = np.array([OUTCOME_SCORE[x] for x, _ in pairs])
    sb = np.array([OUTCOME_SCORE[y] for _, y in pairs])
    wa, wb = sa == 1.0, sb == 1.0
    a_only, b_only = int((wa & ~wb).sum()), int((~wa & wb).sum())
    up, down = int((sb > sa).sum()), int((sb < sa).sum())
    # each item's two halves: (score >= ½, score = 1), b's and a's paired half by half
    hb, ha = np.concatenate([sb >= 0.5, sb == 1.0]), np.concatenate([sa >= 0.5, sa == 1.0])
    table = {"h11": 0.5 * int((hb & ha).sum()), "h10": 0.5 * int((hb & ~ha).sum()),
             "h01": 0.5 * int((~hb & ha).sum()), "h00": 0.5 * int((~hb & ~ha).sum())}
    out = {"n": n, "invalid_pairs": len(a) - n, "a_only": a_only, "b_only": b_only,
           "both": int((wa & wb).sum()), "neither": int((~wa & ~wb).sum()),
           "flips_to_b": b_only, "flips_to_a": a_only, "items_up": up, "items_down": down, **table,
           "rate_a": None, "rate_b": None, "difference": None, "ci_low": None, "ci_high": None,
           "sign_test_p": _sign_test_p(up, down)}
    if n == 0:
        return out
    out["rate_a"], out["rate_b"] = 100.0 * float(sa.mean()), 100.0 * float(sb.mean())
    out["difference"] = float(100.0 * (sb - sa).mean())
    lo, hi = newcombe_paired_interval(table["h11"], table["h10"], table["h01"], table["h00"])
    out["ci_low"], out["ci_high"] = 100.0 * lo, 100.0 * hi
    return out
