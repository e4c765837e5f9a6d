"""The terminal summary of ``reportgen stats``: the same numbers the site shows."""

from __future__ import annotations

import duckdb
import polars as pl

from reportgen import report, reliability
from reportgen.output import percent, rate_with_ci, render


def summary(con: duckdb.DuckDBPyConnection, run: str | None) -> dict[str, pl.DataFrame]:
    frames = {name: report.frame(con, name, run) for name in ("overall", "papers", "categories")}
    return frames | reliability.frames(con, run)


def text(frames: dict[str, pl.DataFrame]) -> str:
    out: list[str] = []
    overall, papers, cats = frames["overall"], frames["papers"], frames["categories"]
    if overall.height == 0:
        return "no verdicts yet: ingest a judge log or verdict JSONL, or run 'reportgen judge'\n"
    for o in overall.iter_rows(named=True):
        label = " (synthetic data)" if o["synthetic"] else ""
        out.append(f"run {o['run']}{label} · judge {o['judge']}")
        rows = [
            ("items", f"{o['items']} ({o['items_with_text']} with text)"),
            ("judged", o["judged"]),
            ("base wins", o["base_wins"]),
            ("fine-tuned wins", o["finetuned_wins"]),
            ("ties", o["ties"]),
            ("invalid", o["invalid"]),
            ("unjudged", f"{o['unjudged']} ({o['unjudged_with_text']} with text a judge could see, "
                         f"{o['unjudged'] - o['unjudged_with_text']} known only by count)"
             if o["unjudged"] and o["unjudged_with_text"] else o["unjudged"]),
            ("source unknown", f"{o['source_unknown']} verdicts carry no question text (paper unknown)"
             if o["source_unknown"] else 0),
            ("fine-tuned win rate", rate_with_ci(o["finetuned_win_rate"], o["ci_low"], o["ci_high"],
                                                 o["finetuned_wins"], o["n"])),
        ]
        width = max(len(k) for k, _ in rows)
        out += [f"  {k.ljust(width)}  {v}" for k, v in rows]
        p = papers.filter((pl.col("run") == o["run"]) & (pl.col("judge") == o["judge"]))
        if p.height:
            note = p.filter(~pl.col("is_unknown"))["rate_note"].drop_nulls()
            out.append("")
            out.append("  per paper" + (f": rates not shown, {note[0]}" if note.len() else ""))
            table = p.select(
                pl.col("paper"), "judged", pl.col("base_wins").alias("base"), pl.col("finetuned_wins").alias("ft"),
                "ties", "invalid",
                pl.struct("finetuned_win_rate", "ci_low", "ci_high", "finetuned_wins", "n").map_elements(
                    lambda r: "—" if r["finetuned_win_rate"] is None else rate_with_ci(
                        r["finetuned_win_rate"], r["ci_low"], r["ci_high"], r["finetuned_wins"], r["n"]),
                    return_dtype=pl.String).alias("fine-tuned win rate"),
                pl.when(pl.col("few_items") & ~pl.col("is_unknown")).then(pl.lit("few items"))
                  .otherwise(pl.lit("")).alias("note"),
            )
            out += ["  " + line for line in render(table, "table", max_width=58).splitlines()]
        c = cats.filter((pl.col("run") == o["run"]) & (pl.col("judge") == o["judge"]))
        if c.height:
            out.append("")
            out.append(f"  failure categories (of {c['base_wins_with_text'][0]} base wins with text; "
                       "one win can fall in several)")
            width = max(len(x) for x in c["category"])
            out += [f"    {r['category'].ljust(width)}  {r['hits']:>4}  {percent(r['share'])}"
                    for r in c.iter_rows(named=True)]
        out.append("")
    out += [section for section in [reliability.text_section(frames)] if section]
    return "\n".join(out)
