"""How far a judge can be trusted: swap consistency, first-position win rate and length
bias (for judges that stored both orders), and the agreement of two judges of one run.

The numbers are the report queries ``reliability``, ``judge_agreement`` and
``judge_disagreements`` (``sql/report/``); this module selects them for ``stats`` and
writes their terminal section."""

from __future__ import annotations

import duckdb
import polars as pl

from reportgen import report
from reportgen.output import percent

NAMES = ("reliability", "judge_agreement", "judge_disagreements")

DEFINITIONS = (
    "swap consistency: share of items where both orders pick the same answer (100 % = no position effect)",
    "first-position wins: share of the decisive orders (those that picked an answer; a tie picks neither) won by "
    "the answer shown first, of n decisive orders (50 % = no position bias)",
    "longer answer wins: share of decisive verdicts won by the longer answer (50 % = no length bias); "
    "in brackets, the share of single orders that picked the longer answer",
)


def frames(con: duckdb.DuckDBPyConnection, run: str | None) -> dict[str, pl.DataFrame]:
    """The reliability reports of ``run`` (all runs when None); empty ones are left out, so a
    database without a both-orders judge or a second judge adds nothing to ``stats``."""
    out = {name: report.frame(con, name, run) for name in NAMES}
    return {name: df for name, df in out.items() if df.height}


PLURAL = {"category": "categories"}


def text_section(frames: dict[str, pl.DataFrame]) -> str:
    rel = frames.get("reliability")
    agree = frames.get("judge_agreement")
    if rel is None and agree is None:
        return ""
    out: list[str] = []
    if rel is not None:
        overall = frames.get("overall")
        groups = dict(zip(overall["run"], overall["group_label"])) if overall is not None else {}
        for (run_name, judge), g in rel.group_by(["run", "judge"], maintain_order=True):
            out.append(f"judge reliability · run {run_name} · judge {judge}")
            group = groups.get(run_name, "paper")
            rows = []
            for r in g.iter_rows(named=True):
                label = f"all {PLURAL.get(group, group + 's')}" if r["is_total"] else r["paper"]
                rows.append((label, r["items"], percent(r["swap_consistency"]),
                             f"{percent(r['first_position_win_rate'])} of {r['decisive_orders']}",
                             f"{percent(r['longer_wins_rate'])} of {r['decisive_items']} "
                             f"[{percent(r['longer_picked_rate'])}]",
                             f"{r['mean_letter_mass']:.2f}" if r["mean_letter_mass"] is not None else "—"))
            header = (group, "items", "swap consistency", "first-position wins", "longer answer wins",
                      "letter mass")
            widths = [max(len(str(x[i])) for x in [header, *rows]) for i in range(len(header))]
            widths[0] = min(widths[0], 40)
            for row in [header, *rows]:
                cells = [str(c) if len(str(c)) <= widths[i] else str(c)[: widths[i] - 1] + "…"
                         for i, c in enumerate(row)]
                out.append("  " + "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                                            for i, (c, w) in enumerate(zip(cells, widths))).rstrip())
            out.append("")
        out += ["  " + d for d in DEFINITIONS]
        out.append("")
    if agree is not None:
        dis = frames.get("judge_disagreements")
        for r in agree.iter_rows(named=True):
            out.append(f"judge agreement · run {r['run']} · {r['judge_a']} vs {r['judge_b']}")
            out.append(f"  same winner on {r['agree']} of {r['valid_items']} common items both judged validly "
                       + (f"({percent(r['agreement_rate'])}, 95 % CI {percent(r['ci_low'])}–{percent(r['ci_high'])}); "
                          if r["valid_items"] else "(no rate); ")
                       + f"{r['a_base_b_finetuned']} base/fine-tuned, {r['a_finetuned_b_base']} fine-tuned/base, "
                       f"{r['one_tie']} with one tie; {r['invalid_pairs']} of the {r['common_items']} common items "
                       "have an invalid verdict of either judge (left out)")
            for side in ("a", "b"):
                if r[f"unattributed_{side}"]:
                    out.append(f"  {r[f'judge_{side}']} has {r[f'unattributed_{side}']} verdicts without a known item: "
                               "the common items are not a random sample of its verdicts")
            if dis is not None:
                mine = dis.filter((pl.col("run") == r["run"]) & (pl.col("judge_a") == r["judge_a"])
                                  & (pl.col("judge_b") == r["judge_b"]))
                if mine.height:
                    out.append(f"  disagreements ({mine.height}; all: reportgen query \"SELECT * FROM "
                               "judge_disagreements\"):")
                    for d in mine.head(10).iter_rows(named=True):
                        q = " ".join(d["question"].split())
                        q = q if len(q) <= 70 else q[:69] + "…"
                        out.append(f"    {d['item_key']}: {d['winner_a']} vs {d['winner_b']} · {q}")
            out.append("")
    return "\n".join(out)
