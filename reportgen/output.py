"""One place for what reportgen writes out: the output formats, a DataFrame as text (aligned
table, CSV, JSON or Markdown), and percentages and rates as every page and terminal shows them."""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    import polars as pl

FORMATS = ("table", "csv", "json", "markdown")  # a table: --format of stats, query and runs
SITE_FORMATS = ("html", "md")  # the site and its Markdown twin: --format of build
SEARCH_LIMIT = 20_000  # the most transcript pages the site's search index covers: --search-limit of build


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return f"{value:.4f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    if isinstance(value, (list, tuple)):
        return ", ".join(_cell(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _one_line(text: str, width: int | None) -> str:
    text = " ".join(text.split()) if ("\n" in text or "\r" in text) else text
    if width and len(text) > width:
        return text[: width - 1] + "…"
    return text


def render(df: pl.DataFrame, fmt: str, *, max_width: int | None = 60) -> str:
    if fmt == "csv":
        return csv_text(df)
    if fmt == "json":
        return json.dumps(df.to_dicts(), ensure_ascii=False, indent=2, default=str) + "\n"
    rows = [[_one_line(_cell(v), max_width) for v in row] for row in df.iter_rows()]
    header = list(df.columns)
    if fmt == "markdown":
        esc = lambda s: s.replace("|", "\\|")  # noqa: E731
        lines = ["| " + " | ".join(esc(h) for h in header) + " |",
                 "| " + " | ".join("---:" if df.schema[h].is_numeric() else "---" for h in header) + " |"]
        lines += ["| " + " | ".join(esc(c) for c in r) + " |" for r in rows]
        return "\n".join(lines) + "\n"
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]
    numeric = [df.schema[h].is_numeric() for h in header]

    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if num else c.ljust(w) for c, w, num in zip(cells, widths, numeric)).rstrip()

    out = [line(header), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in rows]
    out.append(f"({df.height} row{'s' if df.height != 1 else ''})")
    return "\n".join(out) + "\n"


def csv_text(df: pl.DataFrame, *, header: bool = True) -> str:
    """CSV, list cells joined with "; "; without the header line for the later parts of a long table."""
    return df.with_columns(_lists_to_text(df)).write_csv(include_header=header)


def write_csv(df: pl.DataFrame, file: BinaryIO, *, header: bool = True) -> None:
    """``csv_text``'s bytes (UTF-8) written into ``file``, without making the text first."""
    df.with_columns(_lists_to_text(df)).write_csv(file, include_header=header)


def _lists_to_text(df: pl.DataFrame) -> list[pl.Expr]:
    import polars as pl  # here: a command that prints no table need not import it

    return [pl.col(c).cast(pl.List(pl.String)).list.join("; ") for c, t in df.schema.items()
            if isinstance(t, pl.List)]


def percent(x: float | None, digits: int = 1) -> str:
    """A share as a percentage (``0.671`` → ``67.1 %``); ``—`` for a share that does not exist."""
    return "—" if x is None else f"{100 * x:.{digits}f} %"


def rate_with_ci(rate: float | None, low: float | None, high: float | None, k: float, n: int, *,
                 none: str = "no judged items") -> str:
    """A rate with its n and 95 % interval: ``67.1 % (108/161, 95 % CI 59.5–73.9 %)``; k may hold a half (a tie).
    Without one: ``— (none)``, ``none`` saying why (no judged items; no valid verdicts where all were invalid)."""
    if rate is None or n == 0:
        return f"— ({none})"
    k = int(k) if float(k).is_integer() else k
    return f"{percent(rate)} ({k}/{n}, 95 % CI {100 * low:.1f}–{percent(high)})"


def win_rate(row: dict) -> str:
    """A judge's (or a paper's) tie-half fine-tuned win rate, from its report row: with n and interval, or why
    there is none (no judged items; no valid verdicts where every verdict was invalid)."""
    return rate_with_ci(row["finetuned_win_rate"], row["ci_low"], row["ci_high"],
                        row["finetuned_wins"] + row["ties"] / 2, row["n"],
                        none="no valid verdicts" if row["judged"] else "no judged items")


def mt_bench_scores(rows: list[dict]) -> list[tuple[str, str]]:
    """One run and judge's rows of the ``mt_bench_scores`` report as (label, text) lines: each model's
    MT-bench score (mean grade) with its interval, n and per-turn means, then the paired difference."""
    def mean(r: dict, signed: bool = False) -> str:
        value = f"{r['score']:+.2f}" if signed else f"{r['score']:.2f}"
        if r["ci_low"] is None:
            return f"{value} (n = {r['n']}: no interval"
        low, high = (f"{r['ci_low']:+.2f}", f"{r['ci_high']:+.2f}") if signed else \
            (f"{r['ci_low']:.2f}", f"{r['ci_high']:.2f}")
        return f"{value} (95 % CI {low} to {high}, n = {r['n']}"

    lines = []
    for side, label in (("finetuned", "fine-tuned"), ("base", "base")):
        overall = [r for r in rows if r["side"] == side and r["turn"] is None]
        if not overall or overall[0]["n"] == 0:
            continue
        o = overall[0]
        turns = ", ".join(f"turn {r['turn']} {r['score']:.2f}" for r in rows
                          if r["side"] == side and r["turn"] is not None and r["score"] is not None)
        left_out = f", {o['ungraded']} without a grade (-1 or none) left out" if o["ungraded"] else ""
        lines.append((f"MT-bench, {label}", f"{o['model']} {mean(o)} grades{left_out}; {turns})"))
    diff = [r for r in rows if r["side"] == "difference" and r["turn"] is None]
    if diff:
        lines.append(("grade difference", f"{mean(diff[0], signed=True)} question-turns graded for both; "
                                          "fine-tuned minus base)"))
    return lines
