"""The judge stage with a fake backend: verdict logic, prompts, per-item commits, resume,
--rejudge, identity checks, the CLI and the reliability reports. No model runs here."""

from __future__ import annotations

import json
import os
import re

import duckdb
import pytest

from judge_fake import FakeJudge, prefers_first, prefers_longer
from reportgen import reliability, stats, store
from conftest import sha256
from reportgen.errors import DatabaseError, UsageError
from reportgen.judge import judge_run
from reportgen.judge.base import OrderScore, combine, letter_probabilities
from reportgen.judge.prompt import ChatFormat, JudgeTemplate, pair_prompts

RUN = "llama31-8b-paper-qa"


def _o(p, mass=0.9):
    return OrderScore(p, mass, 100, 100, 0.1)


@pytest.mark.parametrize("p1, p2, winner, conf", [
    (0.2, 0.8, "finetuned", 0.8),      # base first loses, fine-tuned first wins: fine-tuned better
    (0.9, 0.1, "base", 0.9),
    (0.9, 0.9, "tie", None),           # each order prefers its first answer: position, not quality
    (0.1, 0.1, "tie", None),
    (0.45, 0.58, "tie", None),         # orders agree but P = 0.565 is within the tie margin
])
def test_combine(p1, p2, winner, conf):
    v = combine(_o(p1), _o(p2), tie_margin=0.1, min_mass=0.5)
    assert v.winner == winner
    assert v.confidence == (pytest.approx(conf) if conf is not None else None)


def test_combine_low_mass_or_no_probability_is_invalid():
    assert combine(_o(0.1, mass=0.3), _o(0.9), tie_margin=0.1, min_mass=0.5).winner == "invalid"
    assert combine(_o(None, mass=0.0), _o(0.9), tie_margin=0.1, min_mass=0.5).winner == "invalid"


def test_letter_probabilities_merge_space_variants():
    p, mass = letter_probabilities({"A": 0.3, " A": 0.1, "B": 0.2, " B": 0.2, "The": 0.2})
    assert mass == pytest.approx(0.8)
    assert p == pytest.approx(0.5)
    assert letter_probabilities({"The": 1.0}) == (None, 0.0)


ITEM = {"item_key": "k", "question": "What is X?", "paper": "Paper P", "reference_answer": "X is Y.",
        "base_answer": "BASE-ANSWER", "finetuned_answer": "FT-ANSWER"}


def test_prompts_show_both_orders_and_end_at_the_letter():
    p = pair_prompts(JudgeTemplate(), ChatFormat(None), ITEM)
    for text in (p.base_first, p.finetuned_first):
        assert "What is X?" in text and "X is Y." in text and "Paper P" in text
        assert text.endswith("The better answer is Answer")
    assert p.base_first.index("BASE-ANSWER") < p.base_first.index("FT-ANSWER")
    assert p.finetuned_first.index("FT-ANSWER") < p.finetuned_first.index("BASE-ANSWER")
    # the shared prefix (instructions, question, reference) is identical, so the cache can be reused
    cut = p.base_first.index("Answer A:")
    assert p.base_first[:cut] == p.finetuned_first[:cut]


# Today's prompt of an item with a reference in a run grouped by paper, byte for byte: verdicts recorded with
# the bundled template, and the KV-cache prefix reuse, rely on it not changing (see EARLIER_DEFAULT_SHA256).
PINNED_PAIRWISE = (
    "You are a strict, impartial judge. You compare two answers to a question about a research paper, using the "
    "reference answer as the ground truth. The better answer is the one that is more correct and more faithful to "
    "the reference. Do not prefer an answer because it is longer or because of its position.\n\nPaper: Paper P\n\n"
    "Question:\nWhat is X?\n\nReference answer:\nX is Y.\n\nAnswer A:\nBASE-ANSWER\n\nAnswer B:\nFT-ANSWER\n\n"
    "Which answer is better, A or B? Reply with the single letter A or B.\n\nThe better answer is Answer")
PINNED_EXPLAIN = (
    "You are a strict, impartial judge. Explain briefly why one answer to a question about a research paper is "
    "better than another, using the reference answer as the ground truth.\n\nPaper: Paper P\n\nQuestion:\n"
    "What is X?\n\nReference answer:\nX is Y.\n\nBetter answer:\nBASE-ANSWER\n\nWorse answer:\nFT-ANSWER\n\n"
    "In one sentence, why is the better answer better?\n\nThe better answer is better because")


def test_prompts_with_a_reference_are_as_before():
    from reportgen.judge.prompt import explain_prompt
    assert pair_prompts(JudgeTemplate(), ChatFormat(None), ITEM).base_first == PINNED_PAIRWISE
    assert explain_prompt(JudgeTemplate(name="explain.j2"), ChatFormat(None), ITEM) == PINNED_EXPLAIN


def test_prompts_without_a_reference_or_a_paper_leave_them_out():
    from reportgen.judge.prompt import explain_prompt
    item = {**ITEM, "reference_answer": None, "group_label": "dataset", "paper": "koala"}
    for text in (pair_prompts(JudgeTemplate(), ChatFormat(None), item).base_first,
                 explain_prompt(JudgeTemplate(name="explain.j2"), ChatFormat(None), item)):
        assert "Reference answer" not in text and "ground truth" not in text and "None" not in text
        assert "research paper" not in text and "Paper:" not in text and "\n\nDataset: koala\n\nQuestion:\n" in text
    text = pair_prompts(JudgeTemplate(), ChatFormat(None), {**ITEM, "reference_answer": None}).base_first
    assert "Paper: Paper P" in text and "about a research paper." in text and "Reference answer" not in text


def test_a_judge_of_the_earlier_bundled_template_goes_on_where_its_prompts_are_the_same(example_db):
    from reportgen.judge.prompt import EARLIER_DEFAULT_SHA256, _sha
    judge_run(example_db, FakeJudge(), run=RUN, limit=2)
    earlier = _sha(EARLIER_DEFAULT_SHA256 + "\n" + ChatFormat(None).sha256)
    with duckdb.connect(str(example_db)) as con:
        con.execute("UPDATE judges SET template_sha256 = ?", [earlier])
    assert judge_run(example_db, FakeJudge(), run=RUN, limit=2).judged == 2
    with duckdb.connect(str(example_db)) as con:        # an item without a reference: its prompt changed
        con.execute("UPDATE items SET reference_answer = NULL WHERE item_key = (SELECT max(item_key) FROM items)")
    with pytest.raises(UsageError, match="another prompt template; pass --rejudge"):
        judge_run(example_db, FakeJudge(), run=RUN, limit=2)


def test_chat_template_wraps_messages():
    chat = ChatFormat("{% for m in messages %}<|{{ m.role }}|>{{ m.content }}<|end|>{% endfor %}"
                      "{% if add_generation_prompt %}<|assistant|>{% endif %}")
    text = pair_prompts(JudgeTemplate(), chat, ITEM).base_first
    assert text.startswith("<|system|>You are a strict")
    assert "<|end|><|user|>Paper: Paper P" in text
    assert text.endswith("<|assistant|>The better answer is Answer")


def test_template_without_blocks_is_refused(tmp_path):
    bad = tmp_path / "bad.j2"
    bad.write_text("{% block user %}{{ question }}{% endblock %}")
    with pytest.raises(UsageError, match="lacks system, answer_prefix"):
        JudgeTemplate(bad)


def _verdicts(db, judge="local:fake"):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT item_key, seq, winner, confidence, matched_by FROM verdicts "
                           "WHERE judge = ? ORDER BY seq", [judge]).fetchall()


def _orders(db, judge="local:fake"):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT item_key, ord, first_answer, p_first FROM judge_orders WHERE judge = ? "
                           "ORDER BY item_key, ord", [judge]).fetchall()


def test_judge_writes_verdicts_orders_and_categories(example_db):
    fake = FakeJudge(prefers_longer)
    result = judge_run(example_db, fake, run=RUN, limit=5)
    assert result.judged == 5 and len(fake.prompts) == 10
    rows = _verdicts(example_db)
    assert [r[1] for r in rows] == [0, 1, 2, 3, 4]
    assert {r[4] for r in rows} == {"key"}
    assert len(_orders(example_db)) == 10
    with duckdb.connect(str(example_db), read_only=True) as con:
        lengths = dict(con.execute("SELECT item_key, length(base_answer) > length(finetuned_answer) FROM items")
                       .fetchall())
        judge_row = con.execute("SELECT backend, model, model_sha256, template, parameters FROM judges").fetchone()
        cats = con.execute("SELECT count(DISTINCT item_key) FROM item_categories WHERE judge = 'local:fake'").fetchone()
    for key, _, winner, conf, _ in rows:      # prefers_longer: 0.8 for the longer answer in both orders
        assert winner == ("base" if lengths[key] else "finetuned")
        assert conf == pytest.approx(0.8)
    assert judge_row[:4] == ("local", "fake.gguf", "fake-sha", "pairwise.j2")
    assert json.loads(judge_row[4])["tie_margin"] == 0.1
    base_wins = sum(r[2] == "base" for r in rows)
    assert base_wins > 0 and cats[0] > 0       # failure categories were computed for the new base wins


def test_resume_judges_only_what_is_missing(example_db):
    judge_run(example_db, FakeJudge(), run=RUN, limit=3)
    second = FakeJudge()
    result = judge_run(example_db, second, run=RUN)
    assert result.already == 3 and result.judged == 50
    rows = _verdicts(example_db)
    assert len(rows) == 53 and len({r[0] for r in rows}) == 53
    assert sorted(r[1] for r in rows) == list(range(53))
    assert judge_run(example_db, FakeJudge(), run=RUN).judged == 0


def test_interrupt_keeps_committed_items_and_resumes(example_db):
    with pytest.raises(KeyboardInterrupt):
        judge_run(example_db, FakeJudge(fail_after=7), run=RUN, limit=10)  # dies in the 4th item's 2nd order
    assert len(_verdicts(example_db)) == 3 and len(_orders(example_db)) == 6
    judge_run(example_db, FakeJudge(), run=RUN, limit=7)
    rows = _verdicts(example_db)
    assert len(rows) == 10 and len({r[0] for r in rows}) == 10
    assert len(_orders(example_db)) == 20


def test_rejudge_replaces_verdicts(example_db):
    judge_run(example_db, FakeJudge(prefers_longer), run=RUN, limit=4)
    judge_run(example_db, FakeJudge(prefers_first), run=RUN, limit=4, rejudge=True)
    rows = _verdicts(example_db)
    assert len(rows) == 4 and {r[2] for r in rows} == {"tie"}
    assert len(_orders(example_db)) == 8


def test_changed_model_is_refused_without_rejudge(example_db):
    judge_run(example_db, FakeJudge(), run=RUN, limit=2)
    before = sha256(example_db)
    with pytest.raises(UsageError, match="another model file; pass --rejudge"):
        judge_run(example_db, FakeJudge(sha="other"), run=RUN, limit=2)
    assert sha256(example_db) == before


def _judge_row(db, judge="local:fake"):
    with duckdb.connect(str(db), read_only=True) as con:
        model_sha, parameters, started = con.execute("SELECT model_sha256, parameters, started_at FROM judges "
                                                     "WHERE judge = ?", [judge]).fetchone()
    return model_sha, json.loads(parameters), started


def test_rejudge_with_another_model_replaces_the_selected_items_only(example_db):
    """--rejudge after a model change replaces verdicts item by item, in the transaction of each new one:
    --limit 1 redoes one item, the other verdicts stay and are counted as the earlier model's."""
    judge_run(example_db, FakeJudge(prefers_longer), run=RUN, limit=4)
    old = _verdicts(example_db)
    result = judge_run(example_db, FakeJudge(prefers_first, sha="other"), run=RUN, limit=1, rejudge=True)
    assert (result.judged, result.earlier) == (1, 3)
    rows = _verdicts(example_db)
    assert rows == old[1:] + [(old[0][0], 4, "tie", None, "key")]
    assert len(_orders(example_db)) == 8
    sha, params, _ = _judge_row(example_db)
    assert sha == "other" and params["identity_since_seq"] == 4 and params["rejudge_since_seq"] == 4
    # stats and the run page say so too
    from reportgen.site import collect
    with store.open_db(example_db, read_only=True) as con:
        frames = stats.summary(con, RUN)
    judge = frames["overall"].filter(frames["overall"]["judge"] == result.judge).row(0, named=True)
    assert judge["earlier_verdicts"] == 3
    assert re.search(r"\n  earlier verdicts +3 of these verdicts were made with an earlier model", stats.text(frames))
    files, _, _ = collect(example_db, search=False)
    assert "3 of these verdicts were made with an earlier model, template or parameters" in files["index.html"].decode()
    assert "3 of these verdicts were made with an earlier model, template or parameters" in files["index.md"].decode()
    # the unfinished --rejudge goes on with the items not judged again yet, the earlier model's first
    result = judge_run(example_db, FakeJudge(prefers_first, sha="other"), run=RUN, limit=3, rejudge=True)
    assert (result.judged, result.redone, result.earlier) == (3, 1, 0)
    assert [r[0] for r in _verdicts(example_db)] == [r[0] for r in old]
    assert {r[2] for r in _verdicts(example_db)} == {"tie"}


def test_a_rejudge_that_fails_before_its_first_verdict_changes_nothing(example_db, tmp_path):
    judge_run(example_db, FakeJudge(), run=RUN, limit=3)
    before = sha256(example_db)
    unknown = tmp_path / "unknown.j2"
    unknown.write_text(JudgeTemplate().text.replace("{{ question }}", "{{ questoin }}"))
    with pytest.raises(UsageError, match="unknown variable"):
        judge_run(example_db, FakeJudge(sha="other"), run=RUN, template=unknown, rejudge=True)
    assert sha256(example_db) == before
    with pytest.raises(UsageError, match="unknown variable"):
        judge_run(example_db, FakeJudge(), run=RUN, template=unknown, rejudge=True, limit=1)
    assert sha256(example_db) == before


def test_an_interrupted_rejudge_resumes_where_it_stopped(example_db):
    judge_run(example_db, FakeJudge(prefers_longer), run=RUN)
    with pytest.raises(KeyboardInterrupt):
        judge_run(example_db, FakeJudge(prefers_first, fail_after=7), run=RUN, rejudge=True)  # in the 4th item
    assert [r[2] for r in _verdicts(example_db)][-3:] == ["tie"] * 3
    again = FakeJudge(prefers_first)
    result = judge_run(example_db, again, run=RUN, rejudge=True)      # the same command: the other 50
    assert (result.selected, result.judged, result.redone) == (50, 50, 3) and len(again.prompts) == 100
    rows = _verdicts(example_db)
    assert len(rows) == 53 and {r[2] for r in rows} == {"tie"} and [r[1] for r in rows] == list(range(53, 106))
    assert "rejudge_since_seq" not in _judge_row(example_db)[1]       # finished: the next --rejudge starts over
    assert judge_run(example_db, FakeJudge(prefers_first), run=RUN, rejudge=True).judged == 53


def _with_params(**params):
    fake = FakeJudge()
    fake.parameters = {"flash_attn": "off", "gpu_layers": 0, "seed": 0, "batch": 512, **params}
    return fake


@pytest.mark.parametrize("change, message", [
    ({"flash_attn": "on"}, 'flash_attn "off", not "on"; pass --flash-attn off to go on with it, --rejudge'),
    ({"gpu_layers": -1}, "gpu_layers 0, not -1; pass --gpu-layers 0 to go on with it, --rejudge"),
    ({"seed": 7}, "seed 0, not 7; pass --seed 0 to go on with it, --rejudge"),
    ({"explain": True}, "explain false, not true; pass no --explain to go on with it, --rejudge"),
])
def test_resume_with_another_verdict_parameter_is_refused(example_db, change, message):
    judge_run(example_db, _with_params(), run=RUN, limit=2)
    before = sha256(example_db)
    explain = change.pop("explain", False)
    with pytest.raises(UsageError) as exc:
        judge_run(example_db, _with_params(**change), run=RUN, limit=2, explain=explain)
    assert str(exc.value) == (f"judge 'local:fake' already judged 2 items of this run with {message} to judge "
                              "them again, or --name to judge under another name")
    assert sha256(example_db) == before
    judge_run(example_db, _with_params(**change), run=RUN, limit=1, explain=explain, rejudge=True)
    _, params, _ = _judge_row(example_db)
    assert all(params[k] == v for k, v in change.items()) and params["explain"] == explain


def test_resume_with_another_batch_keeps_the_record(example_db):
    judge_run(example_db, _with_params(), run=RUN, limit=2)
    row = _judge_row(example_db)
    assert judge_run(example_db, _with_params(batch=2048), run=RUN, limit=2).judged == 2
    assert _judge_row(example_db) == row and row[1]["batch"] == 512 and len(_verdicts(example_db)) == 4


def test_failures_before_the_first_verdict_leave_the_database_as_it_was(example_db, tmp_path):
    from reportgen.judge.endpoint import EndpointError

    class Down(FakeJudge):
        def score(self, prompt):
            raise EndpointError("the server answered HTTP 500")
    before = sha256(example_db)
    with pytest.raises(EndpointError):
        judge_run(example_db, Down(), run=RUN, limit=2)
    unknown = tmp_path / "unknown.j2"
    unknown.write_text(JudgeTemplate().text.replace("{{ question }}", "{{ questoin }}"))
    with pytest.raises(UsageError, match="unknown variable"):
        judge_run(example_db, FakeJudge(), run=RUN, template=unknown)
    assert sha256(example_db) == before


def test_a_missing_database_is_refused(tmp_path, invoke, monkeypatch):
    import reportgen.judge.worker as worker
    loaded = []
    monkeypatch.setattr(worker, "LocalJudgeProcess", lambda *a, **kw: loaded.append(1) or FakeJudge())
    typo = tmp_path / "typo.duckdb"
    result = invoke("judge", "--db", typo)
    assert result.exit_code == 1 and not loaded and not typo.exists()
    assert result.output == (f"Error: {typo}: no such database; create it with 'reportgen ingest FILE…' or pass "
                             "--db\n")
    with pytest.raises(DatabaseError, match="no such database"):
        judge_run(typo, FakeJudge())
    assert not typo.exists()


def test_changed_template_is_refused(example_db, tmp_path):
    judge_run(example_db, FakeJudge(), run=RUN, limit=1)
    mine = tmp_path / "mine.j2"
    mine.write_text(JudgeTemplate().text.replace("strict, impartial", "careful"))
    with pytest.raises(UsageError, match="another prompt template"):
        judge_run(example_db, FakeJudge(), run=RUN, limit=1, template=mine)


def test_only_paper_and_unknown_run(example_db):
    fake = FakeJudge()
    judge_run(example_db, fake, run=RUN, only_paper="role of small models")
    with duckdb.connect(str(example_db), read_only=True) as con:
        papers = con.execute("SELECT DISTINCT i.paper FROM verdicts v JOIN items i USING (run_id, item_key) "
                             "WHERE v.judge = 'local:fake'").fetchall()
    assert papers == [("What is the Role of Small Models in the LLM Era: A Survey",)]
    with pytest.raises(UsageError, match="no run named 'nope'"):
        judge_run(example_db, FakeJudge(), run="nope")


def test_explain_only_for_base_wins(example_db):
    fake = FakeJudge(prefers_longer)
    judge_run(example_db, fake, run=RUN, limit=6, explain=True)
    rows = _verdicts(example_db)
    with duckdb.connect(str(example_db), read_only=True) as con:
        rationales = dict(con.execute("SELECT item_key, rationale FROM verdicts WHERE judge = 'local:fake'").fetchall())
    assert len(fake.explained) == sum(r[2] == "base" for r in rows)
    for key, _, winner, _, _ in rows:
        assert (rationales[key] is not None) == (winner == "base")


def test_concurrent_backend_commits_every_item_once(example_db):
    judge_run(example_db, FakeJudge(concurrency=4), run=RUN, limit=12)
    rows = _verdicts(example_db)
    assert len(rows) == 12 and len({r[0] for r in rows}) == 12


def test_reliability_of_a_position_biased_judge(example_db):
    judge_run(example_db, FakeJudge(prefers_first), run=RUN, limit=6)
    with store.open_db(example_db, read_only=True) as con:
        frames = reliability.frames(con, RUN)
    total = frames["reliability"].filter("is_total").row(0, named=True)
    assert total["items"] == 6
    assert total["swap_consistency"] == 0.0
    assert total["first_position_win_rate"] == 1.0
    assert total["ties"] == 6
    # all six are base wins of the imported log, so the judges disagree on every one
    assert frames["judge_agreement"]["agreement_rate"].to_list() == [0.0]
    assert frames["judge_disagreements"]["winner_b"].to_list() == ["tie"] * 6


def test_reliability_of_a_length_biased_judge_and_agreement(example_db):
    judge_run(example_db, FakeJudge(prefers_longer), run=RUN, limit=8)
    with store.open_db(example_db, read_only=True) as con:
        frames = reliability.frames(con, RUN)
        text = stats.text(stats.summary(con, RUN))
    total = frames["reliability"].filter("is_total").row(0, named=True)
    assert total["swap_consistency"] == 1.0
    assert total["first_position_win_rate"] == 0.5
    assert total["longer_wins_rate"] == 1.0
    agree = frames["judge_agreement"].row(0, named=True)
    assert (agree["judge_a"], agree["judge_b"], agree["common_items"]) == ("imported-log", "local:fake", 8)
    base = sum(r[2] == "base" for r in _verdicts(example_db))   # every common item is a base win of the log
    assert agree["agree"] == base
    dis = frames.get("judge_disagreements")
    assert (dis.height if dis is not None else 0) == 8 - base
    assert "judge reliability · run llama31-8b-paper-qa · judge local:fake" in text
    assert "swap consistency" in text and "imported-log vs local:fake" in text


def test_stats_unchanged_without_a_judge(example_db, invoke):
    out = invoke("stats", "--db", example_db).output
    assert "judge reliability" not in out and "judge agreement" not in out
    data = json.loads(invoke("stats", "--db", example_db, "--format", "json").output)
    assert set(data) == {"overall", "papers", "categories", "field"}  # field: the length-controlled rate


def test_cli_judge_with_fake_backend(example_db, invoke, monkeypatch):
    import reportgen.judge.worker as worker
    monkeypatch.setattr(worker, "LocalJudgeProcess",
                        lambda model, threads, seed, gpu_layers, flash_attn, batch: FakeJudge())
    result = invoke("judge", "--db", example_db, "--limit", "3")
    assert result.exit_code == 0, result.output
    assert "judged 3 items of run llama31-8b-paper-qa with local:fake" in result.output
    assert "judged 3/3" in result.output  # the progress line (stderr is mixed in by CliRunner)
    assert len(_verdicts(example_db)) == 3
    out = invoke("query", "--db", example_db, "SELECT judge, items FROM reliability WHERE is_total").output
    assert "local:fake" in out


def test_cli_judge_errors_are_one_line(example_db, invoke, tmp_path):
    pytest.importorskip("llama_cpp")  # without the judge extra the error says so instead
    result = invoke("judge", "--db", example_db, "--model", tmp_path / "missing.gguf")
    assert result.exit_code == 1
    assert "no such model file" in result.output and "Traceback" not in result.output


def test_too_long_prompt_and_ignored_format_are_invalid_with_a_reason(example_db):
    from reportgen.judge.base import PromptTooLong

    class TooLong(FakeJudge):
        def score(self, prompt):
            if len(self.prompts) >= 2:          # the second item does not fit
                raise PromptTooLong(9000, 8192)
            return super().score(prompt)

    judge_run(example_db, TooLong(), run=RUN, limit=2)
    judge_run(example_db, FakeJudge(mass=0.2, name="local:lowmass"), run=RUN, limit=1)
    with duckdb.connect(str(example_db), read_only=True) as con:
        rows = con.execute("SELECT judge, winner, rationale FROM verdicts WHERE judge <> 'imported-log' "
                           "ORDER BY judge, seq").fetchall()
        orders = con.execute("SELECT count(*) FILTER (p_first IS NULL) FROM judge_orders "
                             "WHERE judge = 'local:fake'").fetchone()[0]
    assert rows[0][1] in ("base", "finetuned")
    assert rows[1] == ("local:fake", "invalid", "prompt of 9000 tokens exceeds the model context of 8192")
    assert orders == 2
    assert rows[2] == ("local:lowmass", "invalid", "the model put only 0.20 of its probability on the letters A and B")


def test_cli_does_not_import_llama_cpp_until_it_judges():
    import subprocess
    import sys
    code = ("import sys; from click.testing import CliRunner; from reportgen.cli import cli; "
            "r = CliRunner().invoke(cli, ['judge', '--help']); assert r.exit_code == 0, r.output; "
            "print('llama_cpp' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_gpu_layers_option_reaches_llama_cpp(monkeypatch):
    """--gpu-layers is passed to llama.cpp (a CPU build accepts and ignores it)."""
    from click.testing import CliRunner
    from reportgen.cli import cli
    r = CliRunner().invoke(cli, ["judge", "--help"])
    assert "--gpu-layers" in r.output
    from reportgen.judge import local
    seen = {}

    class FakeLlama:
        def __init__(self, path, **kw):
            seen.update(kw)
            raise ValueError("stop here")
    llama_cpp = pytest.importorskip("llama_cpp")
    monkeypatch.setattr(llama_cpp, "Llama", FakeLlama)
    with pytest.raises(Exception, match="cannot be loaded as a GGUF model"):
        local.LocalJudge(gpu_layers=-1)
    assert seen["n_gpu_layers"] == -1


def test_flash_attn_and_batch_options_reach_the_local_judge(example_db, invoke, monkeypatch):
    import reportgen.judge.worker as worker
    got = {}

    def make(model, **kw):
        got.update(kw)
        return FakeJudge()
    monkeypatch.setattr(worker, "LocalJudgeProcess", make)
    assert invoke("judge", "--db", example_db, "--limit", "1").exit_code == 0
    assert got["flash_attn"] == "auto"
    assert got["batch"] is None                 # the judge's own default: 2048 on a GPU, 512 on the CPU
    assert invoke("judge", "--db", example_db, "--limit", "1", "--flash-attn", "off", "--batch", "1024").exit_code == 0
    assert got["flash_attn"] == "off" and got["batch"] == 1024
    assert invoke("judge", "--db", example_db, "--flash-attn", "fast").exit_code == 2
    assert invoke("judge", "--db", example_db, "--batch", "0").exit_code == 2


def _no_fa(batch, fa):
    return fa


def _big_batch(batch, fa):
    return batch > 512


@pytest.mark.parametrize("gpu_layers, offload, flash, batch, refused, tried", [
    # the CPU: 512 tokens, flash attention off (its half-precision kernel moves the probabilities)
    (0, True, "auto", None, None, [(512, False)]),
    # a CPU-only build of llama.cpp offloads nothing
    (-1, False, "auto", None, None, [(512, False)]),
    # layers on a GPU: 2048 with flash attention; where llama.cpp cannot create that context, the
    # CPU's batch (less memory), then flash attention off (no kernels for it), then both
    (-1, True, "auto", None, None, [(2048, True)]),
    (8, True, "auto", None, _big_batch, [(2048, True), (512, True)]),
    (-1, True, "auto", None, _no_fa, [(2048, True), (512, True), (2048, False)]),
    (-1, True, "auto", None, lambda b, f: True, [(2048, True), (512, True), (2048, False), (512, False)]),
    # asked for: no silent fallback on what was asked
    (0, False, "on", None, _no_fa, [(512, True)]),
    (-1, True, "off", 256, None, [(256, False)]),
    (-1, True, "off", None, _big_batch, [(2048, False), (512, False)]),
    (-1, True, "auto", 4096, _big_batch, [(4096, True), (4096, False)]),
])
def test_batch_and_flash_attention_reach_llama_cpp(monkeypatch, gpu_layers, offload, flash, batch, refused, tried):
    llama_cpp = pytest.importorskip("llama_cpp")
    from reportgen.judge import local
    seen = []
    # absent during the test and afterwards: delenv alone records nothing to undo for an absent variable,
    # so the setdefault under test would outlive it
    monkeypatch.setenv("GGML_CUDA_DISABLE_GRAPHS", "")
    monkeypatch.delenv("GGML_CUDA_DISABLE_GRAPHS")

    class FakeLlama:     # refuses the context as llama-cpp-python does, or stops the load
        def __init__(self, path, **kw):
            assert kw["n_batch"] == kw["n_ubatch"]
            # CUDA graphs are off before any model loads on a GPU (they aborted on an H100), and
            # left alone where no layer runs on one
            assert os.environ.get("GGML_CUDA_DISABLE_GRAPHS") == ("1" if gpu_layers and offload else None)
            seen.append((kw["n_batch"], kw["flash_attn"]))
            raise ValueError("Failed to create llama_context" if refused and refused(*seen[-1]) else "stop here")
    monkeypatch.setattr(llama_cpp, "Llama", FakeLlama)
    monkeypatch.setattr(llama_cpp, "llama_supports_gpu_offload", lambda: offload)
    with pytest.raises(Exception, match="cannot be loaded as a GGUF model"):
        local.LocalJudge(gpu_layers=gpu_layers, flash_attn=flash, batch=batch)
    assert seen == tried


def test_the_judge_benchmark_reads_the_example_items(tmp_path):
    """bench/judge/bench.py selects the example's items in a child process through the judge's SQL; a change to that
    SQL's parameters once broke the benchmark unnoticed (the device sessions depend on it)."""
    import ast
    import subprocess
    import sys
    from pathlib import Path
    bench = Path(__file__).resolve().parents[1] / "bench" / "judge" / "bench.py"
    code = next(node.value.value for node in ast.parse(bench.read_text(encoding="utf-8")).body
                if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "ITEMS")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "bench.duckdb"), "2", "1"], capture_output=True,
                         text=True, check=True).stdout
    rows = json.loads(out)
    assert len(rows) == 2 and {"item_key", "question", "reference_answer", "base_answer", "finetuned_answer",
                               "group_label"} <= rows[0].keys()
