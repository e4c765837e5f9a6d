"""The field's judge outputs (AlpacaEval, Arena-Hard-Auto, FastChat MT-bench pairwise): small
fixtures written for these tests (tests/fixtures/field/, expected numbers worked out by hand in
the comments), and the real published files of ../shared/data/external when they are there."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from conftest import sha256
from reportgen import report, stats, store
from reportgen.errors import InputError, UsageError
from reportgen.ingest import FORMATS, detect_format, ingest

FIX = Path(__file__).resolve().parent / "fixtures" / "field"
AE = FIX / "alpaca_eval" / "annotations.json"
AH = FIX / "arena_hard"
MT = FIX / "mt_bench"
EXTERNAL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "external"


def frames(db: Path, run: str) -> dict:
    with store.open_db(db, read_only=True) as con:
        return {name: report.frame(con, name, run) for name in ("overall", "papers", "reliability")}


def overall(db: Path, run: str) -> dict:
    rows = frames(db, run)["overall"].to_dicts()
    assert len(rows) == 1
    return rows[0]


def test_formats_are_detected_from_content():
    assert detect_format(AE) == "alpaca-eval"
    assert detect_format(AH / "model_judgment" / "judge-x" / "model-x.jsonl") == "arena-hard"
    assert detect_format(AH / "question.jsonl") == "bench-questions"
    assert detect_format(AH / "model_answer" / "model-x.jsonl") == "bench-answers"
    assert detect_format(MT / "model_judgment" / "gpt-4_pair.jsonl") == "mt-bench"
    assert detect_format(MT / "model_judgment" / "gpt-4_single.jsonl") == "mt-bench-single"
    assert detect_format(MT / "reference_answer" / "gpt-4.jsonl") == "bench-answers"


def test_cli_as_choices_are_the_formats(invoke):
    from reportgen.cli import cli
    option = next(p for p in cli.commands["ingest"].params if p.name == "force_format")
    assert sorted(option.type.choices) == sorted(FORMATS)


def test_alpaca_eval_numbers(tmp_path):
    db = tmp_path / "ae.duckdb"
    result = ingest(db, [AE])
    assert result.run == "annotations"
    assert "phi-3-dpo vs gpt4_1106_preview (base: gpt4_1106_preview, generator_1)" in result.lines[1]
    o = overall(db, "annotations")
    # preferences 1.9 1.2 1.5 0(=1.5) null 1.75 2.0 1.0 1.6 1.4 NaN 1.55: 5 wins, 3 losses, 2 draws, 2 invalid
    assert (o["finetuned_wins"], o["base_wins"], o["ties"], o["invalid"], o["n"]) == (5, 3, 2, 2, 10)
    assert o["finetuned_win_rate"] == pytest.approx(0.6)          # discrete: (5 + 2/2) / 10
    assert o["strict_win_rate"] == pytest.approx(0.5)
    # mean of p = 5.4 / 10; sample sd = sqrt(0.819 / 9); se = sd / sqrt(10)
    assert o["p_mean"] == pytest.approx(0.54) and o["p_n"] == 10
    assert o["p_se"] == pytest.approx((0.819 / 9) ** 0.5 / 10 ** 0.5)
    assert (o["base_model"], o["finetuned_model"], o["group_label"]) == ("gpt4_1106_preview", "phi-3-dpo", "dataset")
    papers = frames(db, "annotations")["papers"]
    assert sorted(papers["paper"].to_list()) == ["koala", "oasst"]


def test_alpaca_eval_base_named_by_option(tmp_path):
    db = tmp_path / "ae.duckdb"
    ingest(db, [AE], base="phi-3-dpo")
    o = overall(db, "annotations")
    assert (o["finetuned_wins"], o["base_wins"], o["ties"]) == (3, 5, 2)
    assert o["p_mean"] == pytest.approx(0.46)
    assert o["finetuned_model"] == "gpt4_1106_preview"
    with pytest.raises(UsageError, match="neither model"):
        ingest(tmp_path / "x.duckdb", [AE], base="nobody")


def test_arena_hard_numbers_and_companions(tmp_path):
    db = tmp_path / "ah.duckdb"
    files = [AH / "model_judgment" / "judge-x" / "model-x.jsonl", AH / "question.jsonl",
             AH / "model_answer" / "model-x.jsonl", AH / "model_answer" / "base-y.jsonl"]
    result = ingest(db, files)
    assert result.run == "model-x"
    o = overall(db, "model-x")
    # per question (net battles): q1 +6, q2 -2, q3 0, q4 +2, q5 -6, q6 +1, q7 none, q8 0, q9 +3, q10 +3
    assert (o["finetuned_wins"], o["base_wins"], o["ties"], o["invalid"]) == (5, 2, 2, 1)
    # battles: model 16, baseline 9, ties 4 -> (16 + 2) / 29
    assert o["battles"] == 29 and o["arena_score"] == pytest.approx(18 / 29)
    assert (o["base_model"], o["finetuned_model"], o["group_label"]) == ("base-y", "model-x", "cluster")
    rel = frames(db, "model-x")["reliability"].filter(pl.col("is_total")).row(0, named=True)
    # both games scored for 8 questions; q8, q9, q10 disagree
    assert (rel["items"], rel["consistent_items"]) == (8, 5)
    with store.open_db(db, read_only=True) as con:
        q = con.execute("SELECT question, paper, base_answer, finetuned_answer FROM items WHERE item_key = 'q01'").fetchone()
    assert q[0] == "Arena question 1?" and q[1] == "Coding" and q[2].startswith("The baseline") and q[3].startswith("The model")


def test_arena_hard_judgments_alone(tmp_path):
    db = tmp_path / "ah.duckdb"
    result = ingest(db, [AH / "model_judgment" / "judge-x" / "model-x.jsonl"])
    assert any("does not name it (pass --base NAME)" in line for line in result.lines)
    o = overall(db, "model-x")
    assert o["base_model"] == "baseline" and o["arena_score"] == pytest.approx(18 / 29)
    with store.open_db(db, read_only=True) as con:
        text = stats.text(stats.summary(con, None))
    # the bootstrap resamples the 9 questions with a scored game; without answers, no lengths to control for
    assert "over 9 questions; 29 weighted battles, a strong verdict counts 3, a tie half)" in text
    assert ("length-controlled    — (0 of the 9 judged items have both answers' text, whose lengths it needs "
            "(at least 10); ingest the answers with the judgments)") in text


def _judgments(path: Path, games: list[tuple[str, str]]) -> Path:
    """An Arena-Hard judgment file of model-x: one question per (game 1, game 2) pair of scores."""
    path.write_text("".join(json.dumps({"question_id": f"q{i}", "model": "model-x", "judge": "judge-x",
                                        "games": [{"score": a, "judgment": f"[[{a}]]"}, {"score": b, "judgment": f"[[{b}]]"}]})
                            + "\n" for i, (a, b) in enumerate(games, 1)), encoding="utf-8")
    return path


@pytest.mark.parametrize("games, battles, score", [
    # game 1 puts the baseline first, game 2 the model: A>B then B>>A are baseline wins (1 + 3 battles), two ties
    ([("A>B", "B>>A"), ("A=B", "A=B")], 6, 1 / 6),
    ([("A=B", "A=B"), ("A=B", "A=B")], 4, 0.5),
])
def test_arena_hard_score_without_a_model_win(tmp_path, games, battles, score):
    """A model that wins no battle scores its ties' half, not nothing (the summary once summed no wins to NULL);
    a database written before that fix gets the score when it is opened (migration 007)."""
    db = tmp_path / "ah.duckdb"
    ingest(db, [_judgments(tmp_path / "model-x.jsonl", games)], base="base-y")
    o = overall(db, "model-x")
    assert o["battles"] == battles and o["arena_score"] == pytest.approx(score)
    with store.open_db(db) as con:
        con.execute("UPDATE summary_judges SET arena_score = NULL")
        con.execute("DELETE FROM schema_migrations WHERE version = 7")
    assert overall(db, "model-x")["arena_score"] == pytest.approx(score)


def _v2(path: Path, games: list[tuple], category=lambda i: "hard_prompt", baseline=lambda i: "o3-mini") -> Path:
    """An Arena-Hard v2 judgment file of model-x: rows keyed uid, with their category and baseline."""
    path.write_text("".join(json.dumps({"uid": f"u{i}", "category": category(i), "judge": "judge-x", "model": "model-x",
                                        "baseline": baseline(i), "games": [g if g is None else {"score": g}
                                                                           for g in pair]}) + "\n"
                            for i, pair in enumerate(games, 1)), encoding="utf-8")
    return path


def test_arena_hard_v2_labels_and_null_games(tmp_path):
    """v2 writes a verdict either way round (B<A is A>B), and leaves out a question with a null game or
    score whole (show_result.py's null_indices); the baseline is the one the rows name."""
    db = tmp_path / "ah.duckdb"
    path = _v2(tmp_path / "model-x.jsonl", [("B<A", "A<<B"), ("A<B", "B=A"), ("B>>A", None), (None, "A>B")])
    result = ingest(db, [path])
    assert "1 model-x wins, 1 o3-mini wins, 0 even, 2 left out for a null game" in result.lines[2]
    o = overall(db, "model-x")
    # q1: baseline 1 + 3 battles; q2: model 1, a tie 1; q3 and q4 have a null game: out, with their other game
    assert (o["base_model"], o["base_wins"], o["finetuned_wins"], o["invalid"], o["battles"]) == ("o3-mini", 1, 1, 2, 6)
    assert o["arena_score"] == pytest.approx((1 + 0.5) / 6)
    with store.open_db(db, read_only=True) as con:
        labels = con.execute("SELECT list(label ORDER BY item_key, ord) FROM judge_orders").fetchone()[0]
    assert labels == ["A>B", "B>>A", "B>A", "A=B", None, None, None, None]


def test_arena_hard_v2_files_with_their_questions_and_answers(tmp_path):
    """v2's own files: question.jsonl rows keyed uid with a prompt and a subcategory (the group), answers as
    messages whose assistant content holds the answer, judgments naming their baseline."""
    v2 = FIX / "arena_hard_v2"
    answers = sorted((v2 / "model_answer").glob("*.jsonl"))
    assert {detect_format(p) for p in answers} == {"bench-answers"}
    db = tmp_path / "v2.duckdb"
    result = ingest(db, [v2 / "model_judgment" / "gpt-4.1" / "my-model.jsonl", v2 / "question.jsonl", *answers])
    assert "my-model vs o3-mini-2025-01-31 (base: the baseline the file names)" in "\n".join(result.lines)
    with store.open_db(db, read_only=True) as con:
        items = con.execute("SELECT item_key, question, paper, base_answer, finetuned_answer FROM items "
                            "ORDER BY item_key").fetchall()
    assert items == [("u1", "Write a sort in C.", "coding", "qsort()", "void sort(){}"),
                     ("u2", "Prove 1+1=2.", "math", "Trivially.", "By Peano.")]
    # u1: A>B then B>A, the baseline wins both games; u2: B>>A then A>>B, the model wins 3 + 3
    o = overall(db, "my-model")
    assert (o["base_wins"], o["finetuned_wins"], o["battles"], o["arena_score"]) == (1, 1, 8, 0.75)


def test_arena_hard_v01_counts_only_its_five_labels(tmp_path):
    """v0.1's show_result.py gives a score other than its five labels no battle (the judge's [[...]]
    pattern lets A<B or A>B>A through) and counts the question's other game; the summary names them."""
    db = tmp_path / "ah.duckdb"
    path = _judgments(tmp_path / "model-x.jsonl", [("B>A", "A>B"), ("B<A", "A<B"), ("A>B>A", "A>B")])
    result = ingest(db, [path], base="base-y")
    assert result.lines[3].strip().startswith("2 questions have a game whose score is not one of v0.1's five labels "
                                      "(the first on line 2): no battle")
    o = overall(db, "model-x")
    # q1: the model wins both games; q2: no battle; q3: game 2 only, the model (A) wins
    assert (o["finetuned_wins"], o["invalid"], o["battles"], o["arena_score"]) == (2, 1, 3, 1.0)


def test_arena_hard_v2_category_is_scored_alone(tmp_path, invoke):
    """Each v2 category has its own baseline and score: a file of several needs --category, and the
    score is that category's alone."""
    path = _v2(tmp_path / "model-x.jsonl", [("B>A", "A>B"), ("A>B", "B>A"), ("B>>A", "A>>B")],
               category=lambda i: "creative_writing" if i == 2 else "hard_prompt",
               baseline=lambda i: "gemini" if i == 2 else "o3-mini")
    db = tmp_path / "ah.duckdb"
    r = invoke("--db", db, "ingest", path)
    assert r.exit_code == 1 and not db.exists()
    assert r.output == (f"Error: {path} holds Arena-Hard v2 judgments of the categories creative_writing, "
                        "hard_prompt, which Arena-Hard scores separately, each against its own baseline; pick one "
                        "with --category NAME (and a run for each)\n")
    assert invoke("--db", db, "ingest", path, "--category", "hard_prompt", "--run", "hard").exit_code == 0
    assert invoke("--db", db, "ingest", path, "--category", "creative_writing", "--run", "cw").exit_code == 0
    hard, cw = overall(db, "hard"), overall(db, "cw")
    assert (hard["base_model"], hard["battles"], hard["arena_score"]) == ("o3-mini", 8, 1.0)
    assert (cw["base_model"], cw["battles"], cw["arena_score"]) == ("gemini", 2, 0.0)
    mixed = _v2(tmp_path / "mixed.jsonl", [("B>A", "A>B"), ("A>B", "B>A")], baseline=lambda i: f"b{i}")
    r = invoke("--db", db, "ingest", mixed, "--run", "mixed")
    assert r.exit_code == 1 and r.output == (f"Error: {mixed}, line 2: names the baseline 'b2', while line 1 names "
                                             "'b1'; give one baseline's judgments per file\n")


def _fastchat_single(path: Path) -> dict:
    """FastChat show_result.py --mode single, written out: per model, the mean grade per turn and over all
    turns, leaving out -1 (and null, which pandas' mean skips)."""
    sums: dict = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["score"] is None or row["score"] == -1:
            continue
        for turn in (row["turn"], None):
            total, n = sums.get((row["model"], turn), (0.0, 0))
            sums[(row["model"], turn)] = (total + row["score"], n + 1)
    return {key: total / n for key, (total, n) in sums.items()}


def test_mt_bench_single_grading_matches_fastchat(tmp_path, invoke):
    """FastChat's default mode grades each answer 1-10: the MT-bench score is a model's mean grade per turn
    and overall (-1 and null left out). The fixture grades three models; the run compares two."""
    path = MT / "model_judgment" / "gpt-4_single.jsonl"
    db = tmp_path / "mt.duckdb"
    assert detect_format(path) == "mt-bench-single"
    r = invoke("--db", db, "ingest", path)
    assert r.exit_code == 1 and "grades gpt-3.5-turbo, other-7b, tuned-7b; name the two to compare with --base NAME " \
        "--model NAME" in r.output and not db.exists()
    result = ingest(db, [path, MT / "question.jsonl"], base="gpt-3.5-turbo", model="tuned-7b", run="single")
    assert result.lines[2].strip() == ("gpt-4_single.jsonl: MT-bench single grades by gpt-4: tuned-7b vs gpt-3.5-turbo "
                                       "(19 grades of 10 question-turns; 10 grades of other models skipped)")
    with store.open_db(db, read_only=True) as con:
        scores = report.frame(con, "mt_bench_scores", "single")
    got = {(r["model"], r["turn"]): r["score"] for r in scores.iter_rows(named=True) if r["side"] != "difference"}
    expected = {k: v for k, v in _fastchat_single(path).items() if k[0] in ("tuned-7b", "gpt-3.5-turbo")}
    assert got == pytest.approx(expected)
    # by hand: tuned-7b 8, 9, 10, 7.5 in turn 1 (its -1 left out) and 6, 7, 5, 8 in turn 2 (no grade of 84/2)
    assert (got[("tuned-7b", 1)], got[("tuned-7b", 2)], got[("tuned-7b", None)]) == (8.625, 6.5, 7.5625)
    assert got[("gpt-3.5-turbo", None)] == pytest.approx(59 / 9)
    ungraded = {r["model"]: r["ungraded"] for r in scores.iter_rows(named=True) if r["turn"] is None}
    assert ungraded == {"tuned-7b": 1, "gpt-3.5-turbo": 1, "tuned-7b − gpt-3.5-turbo": None}
    diff = scores.filter((pl.col("side") == "difference") & pl.col("turn").is_null()).row(0, named=True)
    # the seven question-turns both have a grade: +1, -3, 0, +5, +4, +0.5, +5
    assert (diff["n"], diff["score"]) == (7, pytest.approx(12.5 / 7)) and diff["ci_low"] < diff["score"] < diff["ci_high"]
    o = overall(db, "single")
    assert (o["finetuned_wins"], o["base_wins"], o["ties"], o["invalid"], o["group_label"]) == (5, 1, 1, 3, "category")
    with store.open_db(db, read_only=True) as con:
        text = con.execute("SELECT rationale FROM verdicts WHERE item_key = '81/turn2'").fetchone()[0]
    assert text.startswith("gpt-3.5-turbo graded 9/10:\nThe answer is fair. Rating: [[9]]\n\ntuned-7b graded 6/10:")
    shown = ("tuned-7b 7.56 (95 % CI 6.46 to 8.66, n = 8 grades, 1 without a grade (-1 or none) left out; turn 1 8.62, "
             "turn 2 6.50)")
    text = invoke("--db", db, "stats").output
    assert f"MT-bench, fine-tuned  {shown}" in text and "MT-bench, base        gpt-3.5-turbo 6.56 (" in text
    assert "grade difference      +1.79 (95 % CI " in text
    from reportgen.site import collect
    files, _, _ = collect(db, search=False)
    assert f"<dt>MT-bench, fine-tuned</dt><dd>{shown}</dd>" in files["index.html"].decode()
    assert f"- **MT-bench, fine-tuned:** {shown}" in files["index.md"].decode()
    again = ingest(db, [path], base="gpt-3.5-turbo", model="tuned-7b", run="single", replace=True)
    assert again.changed
    with store.open_db(db, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM grades").fetchone()[0] == 19


def test_alpaca_eval_preference_outside_the_range(tmp_path):
    """AlpacaEval's win_rate leaves out what is not a preference in [1, 2] (describe_head2head), while its
    discrete win rate rounds first (ZeroOneScoringRule): 2.3 is a win, 0.7 a base win, 0.3 a draw, 2.6 and
    -1 nothing. Both rates here are AlpacaEval's, and the summary says so."""
    result = ingest(tmp_path / "ae.duckdb", [_annotations(tmp_path / "annotations.json",
                                                          [1.8, 2.5, 1.2, -1, 2.3, 0.7, 0.3, 2.6])])
    assert result.lines[3].strip() == ("6 preferences outside [1, 2] (the first on line 3): left out of the probability win "
                               "rate, as AlpacaEval's win_rate; 4 of them rounded to a verdict, as its discrete win "
                               "rate rounds them, and 2 invalid")
    o = overall(tmp_path / "ae.duckdb", "annotations")
    # 2.5 rounds half to even (2, a win); 2.6 rounds to 3 and -1 stays -1: not preferences
    assert (o["finetuned_wins"], o["base_wins"], o["ties"], o["invalid"], o["n"], o["p_n"]) == (3, 2, 1, 2, 6, 2)
    assert o["finetuned_win_rate"] == pytest.approx(3.5 / 6) and o["p_mean"] == pytest.approx(0.5)


def test_one_probability_has_no_interval(tmp_path, invoke):
    """One verdict with a probability has no standard error: stats and the site say so (they once
    multiplied the missing value and stopped with a traceback)."""
    from reportgen.site import collect
    db = tmp_path / "ae.duckdb"
    ingest(db, [_annotations(tmp_path / "annotations.json", [1.8, None])])
    r = invoke("--db", db, "stats")
    assert r.exit_code == 0 and "probability win rate  80.00 (one verdict: no interval; mean P(y better) over 1" \
        in r.output
    files, _, _ = collect(db, search=False)
    assert "80.00 <small>(one verdict: no interval;" in files["index.html"].decode()
    assert "80.00 (one verdict: no interval;" in files["index.md"].decode()


def test_mt_bench_pair_in_both_orders(tmp_path):
    """A file may name the baseline first in some rows (FastChat's pairwise-all beside pairwise-baseline);
    show_result.py counts every row with the baseline: tuned-7b wins 2, loses 1, ties 1 here."""
    rows = [(1, "tuned-7b", "base-7b", "model_1", "model_1"), (2, "base-7b", "tuned-7b", "model_2", "model_2"),
            (3, "base-7b", "tuned-7b", "model_1", "model_1"), (4, "base-7b", "tuned-7b", "tie", "model_1")]
    path = tmp_path / "gpt-4_pair.jsonl"
    path.write_text("".join(json.dumps({"question_id": q, "model_1": a, "model_2": b, "g1_winner": g1, "g2_winner": g2,
                                        "judge": ["gpt-4", "pair-v2"], "turn": 1}) + "\n"
                            for q, a, b, g1, g2 in rows), encoding="utf-8")
    db = tmp_path / "mt.duckdb"
    with pytest.raises(UsageError, match="with each of them second"):
        ingest(db, [path])
    ingest(db, [path], base="base-7b", run="both")
    o = overall(db, "both")
    assert (o["finetuned_wins"], o["base_wins"], o["ties"], o["finetuned_model"]) == (2, 1, 1, "tuned-7b")
    assert o["finetuned_win_rate"] == pytest.approx(2.5 / 4)


def test_mt_bench_matches_fastchat_show_result(tmp_path):
    """FastChat's show_result.py --mode pairwise-baseline on the fixture: rows with an error game are
    dropped; a tie when game 1 says tie or the games disagree. tuned-7b: win 3, loss 2, tie 4 of 9."""
    db = tmp_path / "mt.duckdb"
    files = [MT / "model_judgment" / "gpt-4_pair.jsonl", MT / "question.jsonl",
             MT / "model_answer" / "tuned-7b.jsonl", MT / "model_answer" / "gpt-3.5-turbo.jsonl",
             MT / "reference_answer" / "gpt-4.jsonl"]
    with pytest.raises(UsageError, match="several pairs of models"):
        ingest(db, files)
    assert not db.exists()
    result = ingest(db, files, model="tuned-7b", run="tuned")
    assert any("2 rows of other model pairs skipped" in line for line in result.lines)
    o = overall(db, "tuned")
    assert (o["finetuned_wins"], o["base_wins"], o["ties"], o["invalid"], o["n"]) == (3, 2, 4, 1, 9)
    assert o["finetuned_win_rate"] == pytest.approx(5 / 9)         # win_rate_adjusted
    assert o["strict_win_rate"] == pytest.approx(3 / 9)            # win_rate
    assert (o["base_model"], o["finetuned_model"], o["group_label"]) == ("gpt-3.5-turbo", "tuned-7b", "category")
    with store.open_db(db, read_only=True) as con:
        rows = dict(con.execute("SELECT item_key, reference_answer FROM items").fetchall())
        texts = con.execute("SELECT rationale FROM judge_orders WHERE item_key = '81/turn1' ORDER BY ord").fetchall()
    assert rows["83/turn2"] == "Reference 83.2" and rows["81/turn1"] == "GPT-4 reference 81.1"
    assert rows["82/turn1"] is None
    # game 1 showed tuned-7b (the fine-tuned side) first: order 2; game 2 showed the base first: order 1
    assert texts[0][0].startswith("After swapping") and "<script>" in texts[1][0]


def test_paired_comparison_view(tmp_path):
    db = tmp_path / "pair.duckdb"
    ingest(db, [AE], run="a")
    ingest(db, [AE], run="b", base="phi-3-dpo")
    with store.open_db(db, read_only=True) as con:
        row = report.frame(con, "paired_comparison").row(0, named=True)
    # a: wins on 5 items, b (sides swapped) wins on the 3 that a lost; the draws stay draws
    assert (row["n"], row["flips_to_b"], row["flips_to_a"]) == (10, 3, 5)
    assert row["difference"] == pytest.approx(0.4 - 0.6)
    # the sign test over the 8 items whose score changed (no ties among them: exact McNemar):
    # 2 * P(X <= 3), X ~ Bin(8, 1/2) = 2 * (1 + 8 + 28 + 56) / 256
    assert (row["items_up"], row["items_down"]) == (3, 5)
    assert row["sign_test_p"] == pytest.approx(2 * 93 / 256)


def _annotations(path: Path, preferences: list) -> Path:
    """An AlpacaEval annotations file of y against x, one instruction per preference; row i on line i + 2."""
    rows = [{"instruction": f"q{i}", "output_1": "a", "generator_1": "x", "output_2": "b", "generator_2": "y",
             "preference": p} for i, p in enumerate(preferences)]
    path.write_text("[\n" + ",\n".join(map(json.dumps, rows)) + "\n]\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("a, b, interval, shown", [
    # Newcombe's hybrid score interval (method 10) on the half-weight table: b-only 2.5, neither 0.5 of 3
    ([1.2, 1.2, 1.2], [1.8, 1.8, 1.5], (pytest.approx(0.065760, abs=1e-6), pytest.approx(0.982347, abs=1e-6)),
     "95 % CI +6.6 to +98.2"),
    # one item: Wilson 0/1 and 1/1 give 1 - sqrt(2 x 0.7935^2) below, 1 above (it was a point once)
    ([1.2], [1.8], (pytest.approx(-0.122109, abs=1e-6), 1.0), "95 % CI -12.2 to +100.0"),
])
def test_paired_comparison_interval_is_fieldstats(tmp_path, invoke, a, b, interval, shown):
    """The paired view's interval is fieldstats.paired_comparison's, within ±100 points, for one item too;
    stats and the comparison page show it."""
    from reportgen import fieldstats
    from reportgen.site import collect
    db = tmp_path / "pair.duckdb"
    ingest(db, [_annotations(tmp_path / "a.json", a)], run="a")
    ingest(db, [_annotations(tmp_path / "b.json", b)], run="b")
    with store.open_db(db, read_only=True) as con:
        row = report.frame(con, "paired_comparison").row(0, named=True)
    assert (row["ci_low"], row["ci_high"]) == interval
    outcome = {1.2: "base", 1.8: "finetuned", 1.5: "tie"}
    py = fieldstats.paired_comparison([outcome[p] for p in a], [outcome[p] for p in b])
    # the view's rates are fractions, fieldstats' points
    assert (py["ci_low"], py["ci_high"]) == (pytest.approx(100 * row["ci_low"], abs=1e-9),
                                             pytest.approx(100 * row["ci_high"], abs=1e-9))
    assert shown in invoke("--db", db, "stats").output
    files, _, _ = collect(db, search=False)
    assert shown in files["compare/a--b.html"].decode() and shown in files["compare/a--b.md"].decode()


BAD = [
    ("alpaca_eval.json", '[{"instruction": "q", "output_1": "a", "generator_1": "x", "output_2": "b", '
     '"generator_2": "y", "preference": [2]}]', 1, "preference [2] is not a number"),
    ("alpaca_eval.json", '[\n {"instruction": "q", "output_1": "a", "generator_1": "x",\n "output_2": "b", '
     '"generator_2": "y", "preference": 1.2},\n {"instruction": "q2", "oops"}\n]', 4, "invalid JSON"),
    ("judge.jsonl", '{"uid": "1", "category": "c", "model": "m", "games": [{"score": "A>B"}, {"score": "A>>>B"}]}',
     1, "game 2 has the unknown score 'A>>>B'; Arena-Hard v2 counts"),
    ("judge.jsonl", '{"question_id": "1", "model": "m", "games": [{"score": "A>B"}, {"score": 7}]}', 1,
     "game 2 has the score 7, not a verdict label"),
    ("judge.jsonl", '{"question_id": "1", "model": "m", "games": [{"score": "A>B"}]}', 1,
     "'games' holds 1 game; Arena-Hard judges two per question"),
    ("pair.jsonl", '{"question_id": 1, "model_1": "a", "model_2": "b", "g1_winner": "model_3", "g2_winner": "tie"}',
     1, "g1_winner is 'model_3'"),
    ("single.jsonl", '{"question_id": 1, "model": "a", "score": 7, "turn": 1}\n{"question_id": 1, "model": "a", '
     '"score": "7", "turn": 2}', 2, "score '7' is not a number"),
    ("single.jsonl", '{"question_id": 1, "model": "a", "score": 7, "turn": 1}\n{"question_id": 1, "model": "a", '
     '"score": 6, "turn": 1}', 2, "grades a's answer to question '1' turn 1 again (first on line 1)"),
]


@pytest.mark.parametrize("name,text,line,message", BAD)
def test_bad_field_inputs_one_line_database_unchanged(name, text, line, message, example_db, invoke, tmp_path):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    before = sha256(example_db)
    r = invoke("--db", example_db, "ingest", path, "--run", "bad")
    assert r.exit_code == 1
    assert r.output.startswith(f"Error: {path}, line {line}: {message}") and r.output.count("\n") == 1
    assert sha256(example_db) == before


def test_answers_for_unknown_ids_are_refused(tmp_path):
    answers = tmp_path / "model_answer" / "model-x.jsonl"
    answers.parent.mkdir()
    answers.write_text((AH / "model_answer" / "model-x.jsonl").read_text() + json.dumps(
        {"question_id": "zzz", "model_id": "model-x", "choices": [{"turns": ["?"]}]}) + "\n")
    db = tmp_path / "x.duckdb"
    with pytest.raises(InputError, match="answers question 'zzz'") as err:
        ingest(db, [AH / "model_judgment" / "judge-x" / "model-x.jsonl", answers])
    assert err.value.line == 11 and not db.exists()


def test_companion_without_judgments_is_refused(tmp_path):
    with pytest.raises(InputError, match="no Arena-Hard or MT-bench judgment file came with it"):
        ingest(tmp_path / "x.duckdb", [AH / "question.jsonl"])


# --- the real published files (../shared/data/external; CI has them) -------------------------------

def _external(*parts: str) -> Path:
    path = EXTERNAL.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not here (../shared is beside the repository in CI)")
    return path


def _leaderboard(name: str) -> dict:
    import csv
    with open(_external("alpaca_eval", "weighted_alpaca_eval_gpt4_turbo_leaderboard.csv"), newline="") as fh:
        return next(r for r in csv.DictReader(fh) if r[""] == name)


@pytest.mark.parametrize("model", ["FuseChat-Llama-3.1-8B-Instruct", "claude-2.1", "alpaca-7b"])
def test_alpaca_eval_reproduces_published(model, tmp_path):
    path = _external("alpaca_eval", "results", model, "weighted_alpaca_eval_gpt4_turbo", "annotations.json")
    db = tmp_path / "ae.duckdb"
    ingest(db, [path], run=model)
    o = overall(db, model)
    pub = _leaderboard(model)
    assert 100 * o["p_mean"] == pytest.approx(float(pub["win_rate"]), abs=0.005)
    assert 100 * o["p_se"] == pytest.approx(float(pub["standard_error"]), abs=0.005)
    assert 100 * o["finetuned_win_rate"] == pytest.approx(float(pub["discrete_win_rate"]), abs=0.005)
    assert (o["finetuned_wins"], o["base_wins"], o["ties"]) == (
        int(pub["n_wins"]), int(pub["n_wins_base"]), int(pub["n_draws"]))


@pytest.mark.parametrize("model", ["o3-high", "deepseek-r1", "gpt-4o-mini"])
def test_arena_hard_reproduces_published(model, tmp_path):
    import csv
    path = _external("arena_hard_ko", "model_judgment", "ensemble", f"{model}.jsonl")
    with open(_external("arena_hard_ko", "no_control_20250423.csv"), newline="") as fh:
        published = float(next(r for r in csv.DictReader(fh) if r["model"] == model)["score"])
    db = tmp_path / "ah.duckdb"
    ingest(db, [path, _external("arena_hard_ko", "question.jsonl")], base="claude-3.7-sonnet")
    o = overall(db, model)
    assert 100 * o["arena_score"] == pytest.approx(published, abs=0.005)
    assert o["group_label"] == "cluster" and o["base_model"] == "claude-3.7-sonnet"


def test_site_of_field_runs_names_models_and_groups(tmp_path):
    from reportgen.site import collect
    db = tmp_path / "site.duckdb"
    ingest(db, [AE], run="ae")
    ingest(db, [MT / "model_judgment" / "gpt-4_pair.jsonl", MT / "question.jsonl", MT / "model_answer" / "tuned-7b.jsonl",
                MT / "model_answer" / "gpt-3.5-turbo.jsonl"], model="tuned-7b", run="mt")
    files, _, _ = collect(db, search=False)
    ae = files["run/ae/index.html"].decode()
    assert "phi-3-dpo win rate against gpt4_1106_preview" in ae and "<h3>Per dataset</h3>" in ae
    assert "60.0 % (6/10, 95 % CI" in ae                       # 5 wins + 2 draws / 2 over 10
    # the probability win rate, with its interval: 0.54 ± 1.96 × 0.0954
    assert "54.00 <small>(95 % CI 35.30–72.70, ± 9.54 standard error" in ae
    mt = files["run/mt/index.html"].decode()
    assert "tuned-7b win rate against gpt-3.5-turbo" in mt and "55.6 % (5/9" in mt and "all categories" in mt
    page = next(v.decode() for k, v in files.items() if k.startswith("run/mt/t/81-turn2") and k.endswith(".html"))
    assert "gpt-3.5-turbo <small>(base)</small>" in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
