"""stats and the pages that show the same figures: paired comparisons (items paired only where the question is the
same, the sign test, Newcombe's interval, invalid pairs counted), the first-position rate over decisive orders, judge
agreement over valid pairs, papers without verdicts, and the labels of runs and papers without a valid verdict."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from reportgen import fieldstats, report, store
from reportgen.ingest import ingest


def _items(path: Path, keys: list[str], *, topic: str = "") -> Path:
    """An items CSV: item k asks 'Question k<topic> about P<k's first letter>?'."""
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "question", "paper", "reference", "base_answer", "finetuned_answer"])
        for k in keys:
            w.writerow([k, f"Question {k}{topic} about P{k[0]}?", f"P{k[0]}", f"reference {k}.", f"base {k} here.",
                        f"ft {k}."])
    return path


def _verdicts(path: Path, winners: dict[str, str], judge: str = "j1") -> Path:
    path.write_text("".join(json.dumps({"item": k, "winner": w, "judge": judge}) + "\n" for k, w in winners.items()),
                    encoding="utf-8")
    return path


def _two_runs(tmp_path: Path, a: dict[str, str], b: dict[str, str], *, topic_b: str = "") -> Path:
    db = tmp_path / "two.duckdb"
    keys = sorted(set(a) | set(b))
    ingest(db, [_items(tmp_path / "a.csv", keys), _verdicts(tmp_path / "a.jsonl", a)], run="a")
    ingest(db, [_items(tmp_path / "b.csv", keys, topic=topic_b), _verdicts(tmp_path / "b.jsonl", b)], run="b")
    return db


def _paired(db: Path) -> dict:
    with store.open_db(db, read_only=True) as con:
        rows = report.frame(con, "paired_comparison").rows(named=True)
    assert len(rows) == 1
    return rows[0]


def test_runs_whose_ids_name_other_questions_are_not_paired(tmp_path, invoke):
    """Two CSVs that reuse ids 1..N for different questions: nothing is compared, and stats and the compare page
    say how many shared ids were left out and why."""
    from reportgen.site import collect
    winners = {f"k{i}": w for i, w in enumerate(["base", "finetuned", "tie", "base", "finetuned"])}
    db = _two_runs(tmp_path, winners, {k: "finetuned" for k in winners}, topic_b=" (another set)")
    p = _paired(db)
    assert (p["n"], p["differing_questions"], p["invalid_pairs"]) == (0, 5, 0)
    assert p["difference"] is None and p["ci_low"] is None
    out = invoke("--db", db, "stats").output
    assert "b/j1 vs a/j1: 0 items to compare; 5 shared ids left out because their questions differ" in out
    files, _, _ = collect(db, search=False)
    page = files["compare/a--b.html"].decode()
    assert "5 shared ids left out because their questions differ" in page and "<strong>5</strong> different question" in page
    assert "</strong> flipped to fine-tuned" not in page


@pytest.mark.parametrize("a, b", [
    (["tie"] * 5 + ["finetuned"] * 2 + ["base"] * 2, ["base"] * 5 + ["finetuned"] * 2 + ["base"] * 2),
    (["finetuned"] * 5 + ["base"] * 5, ["finetuned"] * 5 + ["base"] * 5),
    (["base"] * 7, ["finetuned"] * 7),
    (["finetuned"] * 12 + ["base"] * 9 + ["finetuned"] * 5 + ["base"] * 2,
     ["finetuned"] * 12 + ["finetuned"] * 9 + ["base"] * 5 + ["base"] * 2),
    (["tie", "tie", "finetuned", "base", "tie", "finetuned", "invalid", "base"],
     ["tie", "finetuned", "tie", "tie", "base", "finetuned", "finetuned", "invalid"]),
    (["tie"], ["finetuned"]),
])
def test_the_paired_view_is_fieldstats_paired_comparison(tmp_path, a, b):
    """The SQL (summary_paired) and reportgen.fieldstats agree on every figure: the sign test on the items whose
    score went up or down, Newcombe's interval, the flips and the invalid pairs."""
    keys = [f"k{i:02d}" for i in range(len(a))]
    db = _two_runs(tmp_path, dict(zip(keys, a)), dict(zip(keys, b)))
    row, py = _paired(db), fieldstats.paired_comparison(a, b)
    for name in ("n", "invalid_pairs", "flips_to_b", "flips_to_a", "items_up", "items_down"):
        assert row[name] == py[name], name
    assert row["sign_test_p"] == pytest.approx(py["sign_test_p"], abs=1e-12)
    for name in ("rate_a", "rate_b", "difference", "ci_low", "ci_high"):
        assert 100 * row[name] == pytest.approx(py[name], abs=1e-9), name
    assert row["differing_questions"] == 0


def test_the_compare_page_counts_flips_as_stats_does(tmp_path, invoke):
    """An invalid verdict in either run is its own count on the compare page and the runs index, not a flip;
    the flips there are those of the paired comparison."""
    from reportgen.site import collect
    a = {"k1": "invalid", "k2": "base", "k3": "finetuned", "k4": "tie", "k5": "finetuned", "k6": "base"}
    b = {"k1": "finetuned", "k2": "finetuned", "k3": "invalid", "k4": "finetuned", "k5": "base", "k6": "tie"}
    db = _two_runs(tmp_path, a, b)
    p = _paired(db)
    assert (p["n"], p["invalid_pairs"], p["flips_to_b"], p["flips_to_a"]) == (4, 2, 2, 1)
    assert (p["items_up"], p["items_down"]) == (3, 1)
    out = invoke("--db", db, "stats").output
    assert "flips 2 to and 1 away from fine-tuned; 3 items up, 1 down, sign test p = 0.625; " \
           "2 with an invalid verdict left out" in out
    files, _, _ = collect(db, search=False)
    counts = "<strong>2</strong> flipped to fine-tuned</li><li><strong>1</strong> flipped away from fine-tuned"
    page = files["compare/a--b.html"].decode()
    assert "<strong>2</strong> invalid verdict</li>" in page and counts.split("</li>")[0] in page
    assert "<strong>1</strong> flipped away from fine-tuned" in page
    index = files["index.html"].decode()
    assert "· 2 flipped to fine-tuned" in index and "· 2 invalid verdict" in index


def _orders_db(tmp_path: Path, orders: list[tuple[str, float, float]]) -> Path:
    """A run whose judge 'two' stored both orders of each item: (winner, p_first of order 1, p_first of order 2)."""
    keys = [f"k{i}" for i in range(len(orders))]
    db = tmp_path / "orders.duckdb"
    ingest(db, [_items(tmp_path / "o.csv", keys), _verdicts(tmp_path / "o.jsonl", {k: o[0] for k, o in zip(keys, orders)},
                                                               judge="two")], run="o")
    with store.open_db(db) as con, store.transaction(con):
        run_id = con.execute("SELECT run_id FROM runs WHERE name = 'o'").fetchone()[0]
        for k, (_, p1, p2) in zip(keys, orders):
            for ord_, first, p in ((1, "base", p1), (2, "finetuned", p2)):
                con.execute("INSERT INTO judge_orders (run_id, judge, item_key, ord, first_answer, p_first) "
                            "VALUES (?, 'two', ?, ?, ?, ?)", [run_id, k, ord_, first, p])
        store.refresh_summaries(con, run_id)
    return db


def test_first_position_rate_is_over_decisive_orders(tmp_path, invoke):
    """Orders at exactly p_first = 0.5 pick neither answer; the rate is over the orders that picked one, so a judge
    without position bias reads 50 % whatever its ties. Before, 0.5 counted as a pick of the second answer and the
    rate was over every order (2 x items)."""
    # item 1: first wins in both orders (position bias); item 2: second in both; items 3, 4: both orders 0.5
    db = _orders_db(tmp_path, [("tie", 0.9, 0.8), ("tie", 0.2, 0.1), ("tie", 0.5, 0.5), ("tie", 0.5, 0.5)])
    with store.open_db(db, read_only=True) as con:
        total = [r for r in report.frame(con, "reliability").rows(named=True) if r["is_total"]][0]
    assert (total["decisive_orders"], total["first_position_win_rate"]) == (4, 0.5)
    assert total["consistent_items"] == 2  # the two 0.5 items pick neither in both orders; 1 and 2 swap
    out = invoke("--db", db, "stats").output
    assert "50.0 % of 4" in out and "n decisive orders" in out


def test_judge_agreement_is_over_valid_pairs(tmp_path, invoke):
    db = tmp_path / "agree.duckdb"
    keys = ["k1", "k2", "k3", "k4", "k5"]
    ingest(db, [_items(tmp_path / "i.csv", keys),
                _verdicts(tmp_path / "x.jsonl", dict(zip(keys, ["invalid", "invalid", "base", "tie", "finetuned"])), "x"),
                _verdicts(tmp_path / "y.jsonl", dict(zip(keys, ["invalid", "base", "base", "finetuned", "base"])), "y")],
           run="r")
    with store.open_db(db, read_only=True) as con:
        r = report.frame(con, "judge_agreement").row(0, named=True)
    assert (r["common_items"], r["invalid_pairs"], r["valid_items"], r["agree"]) == (5, 2, 3, 1)
    assert r["agreement_rate"] == pytest.approx(1 / 3)
    assert (r["a_base_b_finetuned"], r["a_finetuned_b_base"], r["one_tie"]) == (0, 1, 1)
    assert ("same winner on 1 of 3 common items both judged validly" in invoke("--db", db, "stats").output)


def test_papers_without_verdicts_are_listed_and_labels_say_no_valid_verdicts(tmp_path, invoke):
    """A paper with items and no verdict is listed with n = 0 and its unjudged items, so the papers' unjudged counts
    add up to the run's; a paper or run whose verdicts are all invalid says so."""
    from reportgen.site import collect
    db = tmp_path / "papers.duckdb"
    keys = ["A1", "A2", "B1", "B2", "C1", "C2", "C3"]
    ingest(db, [_items(tmp_path / "i.csv", keys),
                _verdicts(tmp_path / "v.jsonl", {"A1": "finetuned", "A2": "base", "B1": "invalid", "B2": "invalid"})],
           run="r")
    ingest(db, [_items(tmp_path / "i2.csv", ["Z1", "Z2"]),
                _verdicts(tmp_path / "w.jsonl", {"Z1": "invalid", "Z2": "invalid"})], run="only-invalid")
    with store.open_db(db, read_only=True) as con:
        papers = {p["paper"]: p for p in report.frame(con, "papers", "r").rows(named=True)}
        overall = report.frame(con, "overall", "r").row(0, named=True)
    assert set(papers) == {"PA", "PB", "PC"}
    assert (papers["PC"]["judged"], papers["PC"]["n"], papers["PC"]["unjudged_with_text"]) == (0, 0, 3)
    assert (papers["PC"]["n_note"], papers["PB"]["n_note"], papers["PA"]["n_note"]) == ("not judged", "no valid verdicts", None)
    assert not papers["PB"]["few_items"] and papers["PA"]["few_items"]
    assert sum(p["unjudged_with_text"] for p in papers.values()) == overall["unjudged_with_text"] == 3
    out = invoke("--db", db, "stats").output
    run_r = out[out.index("run r "):]
    assert "PC" in run_r and "not judged" in run_r and "no valid verdicts" in run_r and "few items (n = 0)" not in out
    only = out[out.index("run only-invalid"):out.index("run r ")]
    assert "— (no valid verdicts)" in only and "no judged items" not in only and "only 0 judged items" not in only
    data = json.loads(invoke("--db", db, "stats", "--format", "json").output)
    assert {"PA", "PB", "PC"} <= {p["paper"] for p in data["papers"] if p["run"] == "r"}
    files, _, _ = collect(db, search=False)
    page = files["run/r/index.html"].decode() if "run/r/index.html" in files else ""
    papers_page = next(v.decode() for k, v in files.items() if k.startswith("run/r/papers") and k.endswith(".html"))
    assert "PC" in papers_page and "not judged" in papers_page and "no valid verdicts" in papers_page
    assert "few items (n = 0)" not in papers_page + page
    # the run page's headline rate says so too (stats and the pages format it with output.win_rate)
    only_page = files["run/only-invalid/index.html"].decode()
    assert "— (no valid verdicts)" in only_page and "no judged items" not in only_page


def test_arena_battles_are_a_number_in_json(tmp_path, invoke):
    field = Path(__file__).parent / "fixtures" / "field" / "arena_hard"
    db = tmp_path / "ah.duckdb"
    ingest(db, [field / "model_judgment" / "judge-x" / "model-x.jsonl", field / "question.jsonl"])
    data = json.loads(invoke("--db", db, "stats", "--format", "json").output)
    battles = [o["battles"] for o in data["overall"]]
    assert battles and all(isinstance(b, int) for b in battles)
