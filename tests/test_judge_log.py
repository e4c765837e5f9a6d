import csv
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from logwriter import EQ, LogItem, write_log
from reportgen import store
from reportgen.errors import InputError
from reportgen.ingest import ingest
from reportgen.ingest import logparse as judge_log


def parse(path: Path):
    summary = judge_log.LogSummary()
    records = list(judge_log.parse(path, summary))
    verdicts = [r for r in records if isinstance(r, judge_log.LogVerdict)]
    transcripts = [r for r in records if isinstance(r, judge_log.Transcript)]
    return summary, verdicts, transcripts


def test_real_log_counts(example_log):
    s, verdicts, transcripts = parse(example_log)
    assert (s.loaded, s.verdicts, s.base_wins, s.finetuned_wins, s.transcripts) == (174, 161, 53, 108, 53)
    assert s.footer == {"base_wins": 53, "finetuned_wins": 108, "total": 161, "rate": 67.1}
    assert s.notes == []
    assert [v.seq for v in verdicts] == list(range(161))
    assert all(t.seq == i for t, i in zip(transcripts, [v.seq for v in verdicts if v.winner == "base"]))


def test_real_log_transcripts_equal_the_csv_rows(example_log, example_csv):
    _, _, transcripts = parse(example_log)
    with open(example_csv, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(transcripts) == 53
    for t, r in zip(transcripts, rows):
        assert str(t.seq) == r["comparison_index"]
        assert (t.question, t.paper, t.reference_answer, t.base_answer, t.finetuned_answer) == (
            r["question"], r["context"], r["true_answer"], r["base_model_answer"], r["finetuned_model_answer"])


@pytest.mark.parametrize("newline,bom", [("\r\n", False), ("\n", True), ("\r\n", True)])
def test_crlf_and_bom_parse_like_lf(tmp_path, example_log, newline, bom):
    text = example_log.read_text(encoding="utf-8")
    other = tmp_path / "x.log"
    other.write_bytes((("\ufeff" if bom else "") + text.replace("\n", newline)).encode("utf-8"))
    a, b = parse(example_log), parse(other)
    assert a[0].footer == b[0].footer
    assert [(t.question, t.base_answer, t.finetuned_answer) for t in a[2]] == [
        (t.question, t.base_answer, t.finetuned_answer) for t in b[2]]


def write(tmp_path, text: str, name="j.log") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8", newline="")
    return p


def test_no_footer_is_an_interrupted_run(tmp_path):
    p = write(tmp_path, write_log([LogItem("BASE"), LogItem("FINE_TUNED")], loaded=5, footer=False))
    s, verdicts, transcripts = parse(p)
    assert len(verdicts) == 2 and len(transcripts) == 1
    assert s.footer is None and "interrupted" in s.notes[0]


@pytest.mark.parametrize("mutate,message,line", [
    (lambda t: t.replace("Base Model Wins: 1", "Base Model Wins: 2"), "footer says 2 base wins but the log has 1", 26),
    (lambda t: t.replace("Winner: EvalWinner.FINE_TUNED", "Winner: EvalWinner.TIE"), "unknown winner label 'EvalWinner.TIE'", 23),
    (lambda t: t.replace("Saving base model win 0", "Saving base model win 3"), "'Saving base model win 3' should be 0", 3),
    (lambda t: t + t.split("\n", 1)[1].split("\n\n", 1)[0] + "\n",
     "after the 'Final Results:' footer (line 25); the file looks like two logs joined together", 30),
    (lambda t: t + "Final Results:\n", "a second 'Final Results:' footer", 30),
    (lambda t: t.replace("Fine-tuned Win Rate: 50.0%", "Fine-tuned Win Rate: 60.0%"), "win rate 60.0% disagrees", 29),
    (lambda t: t.replace("BASE MODEL ANSWER:", "FINETUNED MODEL ANSWER:", 1),
     "the file ends inside the true answer", 29),
])
def test_malformed_logs(tmp_path, mutate, message, line):
    p = write(tmp_path, mutate(write_log([LogItem("BASE"), LogItem("FINE_TUNED")])))
    with pytest.raises(InputError) as err:
        parse(p)
    assert message in str(err.value)
    assert err.value.line == line
    assert str(err.value).startswith(f"{p}, line {line}: ")


def test_truncated_mid_transcript(tmp_path):
    text = write_log([LogItem("BASE", base="line one\nline two")])
    cut = text[: text.index("line two")]
    with pytest.raises(InputError, match="ends inside the base model answer of the transcript that starts on line 3"):
        parse(write(tmp_path, cut))


def test_the_closing_lines_inside_the_fine_tuned_answer_are_answer_text(tmp_path):
    """The fine-tuned answer may hold the rule and the "Better Answer" line and go on: the transcript
    closes where the log goes on as after a transcript (a verdict, the footer, its end)."""
    inside = f"f\n{EQ}\nBetter Answer: EvalWinner.BASE\n\nstill the fine-tuned answer"
    summary, _, transcripts = parse(write(tmp_path, write_log([LogItem("BASE", finetuned=inside), LogItem("FINE_TUNED")])))
    assert [t.finetuned_answer for t in transcripts] == [inside] and summary.verdicts == 2


@pytest.mark.parametrize("shown", ["6.2", "6.3"])
def test_a_footer_rate_rounded_either_way_at_a_half_agrees(tmp_path, shown):
    text = write_log([LogItem("BASE")] * 15 + [LogItem("FINE_TUNED")])  # 1/16 = 6.25 %
    summary, _, _ = parse(write(tmp_path, text.replace("Fine-tuned Win Rate: 6.2%", f"Fine-tuned Win Rate: {shown}%")))
    assert summary.footer["rate"] == float(shown)


def test_transcript_without_better_answer_line(tmp_path):
    text = write_log([LogItem("BASE"), LogItem("BASE")]).replace("Better Answer: EvalWinner.BASE\n", "", 1)
    with pytest.raises(InputError, match="has no 'Better Answer: EvalWinner.BASE' line") as err:
        parse(write(tmp_path, text))
    assert err.value.line == 21


def test_sections_in_wrong_order(tmp_path):
    text = write_log([LogItem("BASE")])
    swapped = text.replace("Question: Q?\nContext: Paper", "Context: Paper\nQuestion: Q?")
    with pytest.raises(InputError, match="expected 'Question: …'"):
        parse(write(tmp_path, swapped))


# Answer text is untrusted: anything except the exact section-header triples must come back verbatim.
answer_line = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=40),
    st.sampled_from([EQ, "-" * 80, "Winner: EvalWinner.BASE", "Saving base model win 0", "Final Results:",
                     "Better Answer: EvalWinner.FINE_TUNED", "TRUE ANSWER:", "Question: x", "", "   "]),
)
answer = st.lists(answer_line, min_size=1, max_size=6).map("\n".join).filter(
    lambda a: a.strip() and not a.endswith("\n") and a == a.rstrip("\r"))
one_line = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=30).filter(
    lambda s: s.strip() == s and s)


@settings(max_examples=150, deadline=None,  # the profile's suppressions too: too_slow depends on the machine
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(items=st.lists(st.builds(LogItem, st.sampled_from(["BASE", "FINE_TUNED"]), one_line, one_line,
                                answer, answer, answer), min_size=1, max_size=5))
def test_roundtrip_random_logs(tmp_path, items):
    p = write(tmp_path, write_log(items))
    s, verdicts, transcripts = parse(p)
    assert [v.winner for v in verdicts] == ["base" if i.winner == "BASE" else "finetuned" for i in items]
    bases = [i for i in items if i.winner == "BASE"]
    assert [(t.question, t.paper, t.reference_answer, t.base_answer, t.finetuned_answer) for t in transcripts] == [
        (i.question, i.paper, i.reference, i.base, i.finetuned) for i in bases]


@pytest.mark.parametrize("loaded,refused", [("2147483647", False), ("2147483648", True), ("9" * 5000, True)])
def test_loaded_count_must_fit_the_database(tmp_path, loaded, refused):
    """The header's count goes into an INTEGER column (DuckDB refused 2**31 with a traceback), and int() of
    5000 digits raises ValueError."""
    p = write(tmp_path, write_log([LogItem("FINE_TUNED")], loaded=5).replace("Loaded 5 ", f"Loaded {loaded} "))
    if not refused:
        ingest(tmp_path / "x.duckdb", [p], run="r")
        with store.open_db(tmp_path / "x.duckdb", read_only=True) as con:
            assert con.execute("SELECT declared_items FROM runs").fetchone()[0] == int(loaded)
        return
    with pytest.raises(InputError) as err:
        parse(p)
    assert err.value.line == 1
    assert err.value.message == (f"the header says {loaded[:19] + '…' if len(loaded) > 20 else loaded} entries were "
                                 "loaded, more than reportgen counts (at most 2147483647); fix the number")


def test_a_footer_count_of_5000_digits_is_an_error_not_a_traceback(tmp_path):
    text = write_log([LogItem("FINE_TUNED")]).replace("Total Comparisons: 1", "Total Comparisons: " + "1" * 5000)
    with pytest.raises(InputError) as err:
        parse(write(tmp_path, text))
    assert "the footer's count 1111111111111111111… is more than reportgen counts" in str(err.value)
