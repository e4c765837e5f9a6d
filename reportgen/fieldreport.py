"""The field's statistics that need more than SQL, per run and judge: the length-controlled win
rate (a fitted model) and the Arena-Hard score's bootstrap interval. The point estimates SQL can
give (tie-half rate, mean probability and its standard error, Arena-Hard score) are in the
``overall`` report; this adds the rest, from ``reportgen.fieldstats``. Rates are fractions (0–1),
as in every report."""

from __future__ import annotations

import hashlib

import duckdb
import polars as pl

from reportgen import fieldstats, store

SEED = 0
# game 1 shows the base first (as A), game 2 the fine-tuned answer: an outcome and weight back to the label
_LABEL = {
    (1, "finetuned", 1): "B>A", (1, "finetuned", 3): "B>>A", (1, "base", 1): "A>B", (1, "base", 3): "A>>B",
    (2, "finetuned", 1): "A>B", (2, "finetuned", 3): "A>>B", (2, "base", 1): "B>A", (2, "base", 3): "B>>A",
}


def _label(game: int, outcome: str | None, weight: int | None) -> str | None:
    if outcome == "tie":
        return "A=B"
    return _LABEL.get((game, outcome, weight))


def _frac(percent: float | None) -> float | None:
    return None if percent is None else percent / 100


def verdict_inputs(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Per verdict of every run and judge, what the figures are computed from (stats/verdict_inputs)."""
    return store.frame(con, "stats/verdict_inputs")


def input_digests(inputs: pl.DataFrame) -> dict[tuple[str, str], str]:
    """A digest of each run and judge's rows of ``verdict_inputs``, in their order: equal digests give
    equal figures (with the same code and polars version), so a site rebuild fits the model again
    only when they differ."""
    hashed = inputs.select("run", "judge", h=inputs.hash_rows(seed=0))
    return {(run, judge): hashlib.sha256(group["h"].to_numpy().tobytes()).hexdigest()
            for (run, judge), group in hashed.group_by(["run", "judge"], maintain_order=True)}


def frame(con: duckdb.DuckDBPyConnection | None, overall: pl.DataFrame,
          inputs: pl.DataFrame | None = None) -> pl.DataFrame:
    """One row per run and judge of ``overall``: length-controlled win rate and its interval, the
    fitted length effect, and the Arena-Hard score's bootstrap interval (None where they do not apply).
    ``inputs``: ``verdict_inputs(con)`` when the caller has it already."""
    inputs = verdict_inputs(con) if inputs is None else inputs
    rows = []
    for o in overall.iter_rows(named=True):
        v = inputs.filter((pl.col("run") == o["run"]) & (pl.col("judge") == o["judge"]) & (pl.col("winner") != "invalid"))
        row = {"run": o["run"], "judge": o["judge"]}
        with_len = v.filter(pl.col("len_finetuned").is_not_null() & pl.col("len_base").is_not_null())
        p = with_len["p_finetuned"].fill_null(with_len["score"]).to_numpy().astype(float)
        lc = fieldstats.length_controlled_win_rate(
            p, with_len["len_finetuned"].to_numpy().astype(float), with_len["len_base"].to_numpy().astype(float),
            seed=SEED)
        row |= {"length_controlled_win_rate": _frac(lc.get("length_controlled_win_rate")),
                "lc_ci_low": _frac(lc.get("ci_low")), "lc_ci_high": _frac(lc.get("ci_high")), "length_coefficient": lc.get("length_coefficient"),
                "lc_n": lc.get("n"), "lc_outcome": "probability" if with_len["p_finetuned"].null_count() == 0
                else "tie-half score", "lc_note": lc.get("note")}
        if v.height == 0 and o["judged"]:  # every verdict invalid
            row["lc_note"] = "no valid verdicts"
        elif with_len.height < min(v.height, fieldstats.LC_MIN_ITEMS):  # too few because lengths are missing
            row["lc_note"] = (f"{with_len.height} of the {v.height} judged items have both answers' text, whose "
                              f"lengths it needs (at least {fieldstats.LC_MIN_ITEMS}); ingest the answers with the "
                              "judgments")
        elif row["lc_note"] and with_len.height < v.height:  # say which items the reason is about
            row["lc_note"] += f"; that is over the {with_len.height} of the {v.height} judged items with both answers' text"
        if o.get("battles"):
            games = v.filter(pl.col("weight_1").is_not_null() | pl.col("weight_2").is_not_null()
                             | (pl.col("outcome_1") == "tie") | (pl.col("outcome_2") == "tie"))
            g1 = [_label(1, r["outcome_1"], r["weight_1"]) for r in games.iter_rows(named=True)]
            g2 = [_label(2, r["outcome_2"], r["weight_2"]) for r in games.iter_rows(named=True)]
            ah = fieldstats.arena_hard_score(g1, g2, seed=SEED)
            row |= {"arena_score": _frac(ah["score"]), "arena_ci_low": _frac(ah["ci_low"]),
                    "arena_ci_high": _frac(ah["ci_high"]), "arena_questions": games.height}
        else:
            row |= {"arena_score": None, "arena_ci_low": None, "arena_ci_high": None, "arena_questions": None}
        rows.append(row)
    schema = {"run": pl.String, "judge": pl.String, "length_controlled_win_rate": pl.Float64,
              "lc_ci_low": pl.Float64, "lc_ci_high": pl.Float64, "length_coefficient": pl.Float64,
              "lc_n": pl.Int64, "lc_outcome": pl.String, "lc_note": pl.String, "arena_score": pl.Float64,
              "arena_ci_low": pl.Float64, "arena_ci_high": pl.Float64, "arena_questions": pl.Int64}
    return pl.DataFrame(rows, schema=schema)

