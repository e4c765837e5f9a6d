"""The terminal summary of ``reportgen stats``: the same numbers the site shows."""

from __future__ import annotations

import duckdb
import polars as pl

from reportgen import categories, fieldreport, report, reliability
from reportgen.output import mt_bench_scores, rate_with_ci, render, win_rate


def summary(con: duckdb.DuckDBPyConnection, run: str | None) -> dict[str, pl.DataFrame]:
    frames = {name: report.frame(con, name, run) for name in ("overall", "papers", "categories")}
    frames["field"] = fieldreport.frame(con, frames["overall"])
    pairs = report.frame(con, "paired_comparison", run)
    if pairs.height:  # like the reliability reports: left out where there is nothing to compare
        frames["paired_comparison"] = pairs
    grades = report.frame(con, "mt_bench_scores", run)
    if grades.height:  # single-answer grades (MT-bench --mode single) only
        frames["mt_bench_scores"] = grades
    return frames | reliability.frames(con, run)


def _field_rows(o: dict, f: dict | None) -> list[tuple[str, str]]:
    """The field's other figures for one run and judge, where they apply."""
    rows = [("ties as losses", rate_with_ci(o["strict_win_rate"], o["strict_ci_low"], o["strict_ci_high"],
                                            o["finetuned_wins"], o["n"]))] if o["ties"] else []
    if o["p_n"]:
        mean = f"mean P({o['finetuned_model']} better) over {o['p_n']} verdicts, AlpacaEval's win_rate"
        rows.append(("probability win rate",
                     f"{100 * o['p_mean']:.2f} (one verdict: no interval; {mean})" if o["p_se"] is None else
                     f"{100 * o['p_mean']:.2f} (95 % CI {100 * o['p_ci_low']:.2f}–{100 * o['p_ci_high']:.2f}, "
                     f"± {100 * o['p_se']:.2f} standard error; {mean})"))
    if f and f["arena_score"] is not None:
        rows.append(("Arena-Hard score", f"{100 * f['arena_score']:.2f} (95 % bootstrap CI {100 * f['arena_ci_low']:.2f}–"
                     f"{100 * f['arena_ci_high']:.2f} over {f['arena_questions']} questions; {o['battles']} weighted "
                     "battles, a strong verdict counts 3, a tie half)"))
    if f and f["length_controlled_win_rate"] is not None:
        rows.append(("length-controlled", f"{100 * f['length_controlled_win_rate']:.1f} % (95 % CI "
                     f"{100 * f['lc_ci_low']:.1f}–{100 * f['lc_ci_high']:.1f} %, length effect "
                     f"{f['length_coefficient']:+.2f} per tanh(std. length difference), n={f['lc_n']}; a one-run "
                     "length adjustment, not AlpacaEval's LC)"))
    elif f and f["lc_note"]:
        rows.append(("length-controlled", f"— ({f['lc_note']})"))
    return rows


def text(frames: dict[str, pl.DataFrame]) -> str:
    out: list[str] = []
    overall, papers, cats = frames["overall"], frames["papers"], frames["categories"]
    if overall.height == 0:
        return "no verdicts yet: ingest a judge log or verdict JSONL, or run 'reportgen judge'\n"
    for o in overall.iter_rows(named=True):
        label = " (synthetic data)" if o["synthetic"] else ""
        out.append(f"run {o['run']}{label} · judge {o['judge']} · {o['finetuned_model']} vs {o['base_model']}")
        f = next(iter(frames["field"].filter((pl.col("run") == o["run"]) & (pl.col("judge") == o["judge"]))
                      .iter_rows(named=True)), None)
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
            ("fine-tuned win rate", win_rate(o) + (" (a tie counts half)" if o["ties"] else "")),
            *([("earlier verdicts", f"{o['earlier_verdicts']} of these verdicts were made with an earlier model, "
                                    "template or parameters of this judge ('reportgen judge --rejudge' without "
                                    "--limit or --only-paper judges them again)")] if o["earlier_verdicts"] else []),
            *_field_rows(o, f),
            *(mt_bench_scores(frames["mt_bench_scores"].filter((pl.col("run") == o["run"])
                                                               & (pl.col("judge") == o["judge"])).to_dicts())
              if "mt_bench_scores" in frames else []),
        ]
        width = max(len(k) for k, _ in rows)
        out += [f"  {k.ljust(width)}  {v}" for k, v in rows]
        p = papers.filter((pl.col("run") == o["run"]) & (pl.col("judge") == o["judge"]))
        if p.height:
            note = p.filter(~pl.col("is_unknown"))["rate_note"].drop_nulls()
            out.append("")
            out.append(f"  per {o['group_label']}" + (f": rates not shown, {note[0]}" if note.len() else ""))
            table = p.select(
                pl.col("paper").alias(o["group_label"]), "judged", pl.col("base_wins").alias("base"), pl.col("finetuned_wins").alias("ft"),
                "ties", "invalid",
                pl.struct("finetuned_win_rate", "ci_low", "ci_high", "finetuned_wins", "ties", "n", "judged").map_elements(
                    lambda r: "—" if r["finetuned_win_rate"] is None else win_rate(r),
                    return_dtype=pl.String).alias("fine-tuned win rate"),
                pl.when(pl.col("n_note").is_not_null()).then(pl.col("n_note"))
                  .when(pl.col("few_items") & ~pl.col("is_unknown")).then(pl.lit("few items"))
                  .otherwise(pl.lit("")).alias("note"),
            )
            out += ["  " + line for line in render(table, "table", max_width=58).splitlines()]
        c = cats.filter((pl.col("run") == o["run"]) & (pl.col("judge") == o["judge"]))
        if c.height:
            out.append("")
            out.append(f"  failure categories (of {c['base_wins_with_text'][0]} base wins with text; "
                       "one win can fall in several)")
            width = max(len(x) for x in c["category"])
            out += [f"    {r['category'].ljust(width)}  {r['hits']:>4}  "
                    f"{rate_with_ci(r['share'], r['ci_low'], r['ci_high'], r['hits'], r['base_wins_with_text'])}"
                    for r in c.iter_rows(named=True)]
            with_ref, total = c["base_wins_with_reference"][0], c["base_wins_with_text"][0]
            if with_ref < total:
                out.append(f"    ({', '.join(sorted(categories.needs_reference()))} looked only at the {with_ref} of "
                           f"{total} base wins that have a reference answer)")
        out.append("")
    out += [section for section in [reliability.text_section(frames), _paired_section(frames)] if section]
    return "\n".join(out)


def _paired_section(frames: dict[str, pl.DataFrame]) -> str:
    pairs = frames.get("paired_comparison")
    if pairs is None:
        return ""
    out = ["paired comparisons (items with the same question in both; a tie counts half; Newcombe's interval; "
           "exact sign test on the items whose score went up or down)"]
    for p in pairs.iter_rows(named=True):
        left_out = "".join([f"; {p['invalid_pairs']} with an invalid verdict left out" if p["invalid_pairs"] else "",
                            f"; {p['differing_questions']} shared ids left out because their questions differ"
                            if p["differing_questions"] else ""])
        head = f"  {p['run_b']}/{p['judge_b']} vs {p['run_a']}/{p['judge_a']}: {p['n']} items"
        if not p["n"]:
            out.append(head + " to compare" + left_out)
            continue
        out.append(head + f", {100 * p['rate_b']:.1f} % vs {100 * p['rate_a']:.1f} %, difference "
                   f"{100 * p['difference']:+.1f} points (95 % CI {100 * p['ci_low']:+.1f} to {100 * p['ci_high']:+.1f}); "
                   f"flips {p['flips_to_b']} to and {p['flips_to_a']} away from fine-tuned; "
                   f"{p['items_up']} items up, {p['items_down']} down, sign test p = {p['sign_test_p']:.3g}" + left_out)
    return "\n".join(out) + "\n"
