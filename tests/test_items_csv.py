from pathlib import Path

import pytest

from reportgen.errors import InputError, UsageError
from reportgen.ingest import items_csv

HEADER = "question,context,true_answer,base_model_answer,finetuned_model_answer"


def write(tmp_path: Path, text: str | bytes, name="items.csv") -> Path:
    p = tmp_path / name
    if isinstance(text, str):
        p.write_text(text, encoding="utf-8", newline="")
    else:
        p.write_bytes(text)
    return p


def test_real_example(example_csv):
    parsed = items_csv.read(example_csv)
    assert parsed.frame.height == 53
    assert parsed.columns == {"id": "comparison_index", "question": "question", "paper": "context",
                              "reference_answer": "true_answer", "base_answer": "base_model_answer",
                              "finetuned_answer": "finetuned_model_answer"}
    assert parsed.frame["item_key"][:3].to_list() == ["1", "4", "5"]
    assert items_csv.row_line(example_csv, 0) == 2
    assert items_csv.row_line(example_csv, 1) > 3  # multi-line answers


@pytest.mark.parametrize("header", [
    "Prompt,Paper,Reference,Base_Answer,Fine_Tuned_Answer",
    "QUESTION,Source,Gold,base answer,finetuned answer",
    "query,paper-title,ground truth,base_model_answer,ft_answer",
])
def test_column_spellings(tmp_path, header):
    parsed = items_csv.read(write(tmp_path, f"{header}\nq1,p1,r1,b1,f1\n"))
    row = parsed.frame.row(0, named=True)
    assert (row["question"], row["paper"], row["reference_answer"], row["base_answer"],
            row["finetuned_answer"]) == ("q1", "p1", "r1", "b1", "f1")
    assert not parsed.has_ids


def test_map_option(tmp_path):
    p = write(tmp_path, "ask,doc,want,a,b\nq,p,r,x,y\n")
    mapping = items_csv.parse_mapping(["question=ask", "paper=doc", "reference=want", "base=a", "finetuned=b"])
    row = items_csv.read(p, mapping).frame.row(0, named=True)
    assert (row["question"], row["base_answer"], row["finetuned_answer"]) == ("q", "x", "y")


def test_bad_map_option():
    with pytest.raises(UsageError, match="is not FIELD=COLUMN"):
        items_csv.parse_mapping(["colour=red"])


def test_bom_crlf_multiline_and_quotes(tmp_path):
    text = f"\ufeff{HEADER}\r\n\"q, one\",p,\"line 1\r\nline 2\",\"says \"\"hi\"\"\",f\r\nq2,p,r,b,f\r\n"
    frame = items_csv.read(write(tmp_path, text)).frame
    assert frame["question"].to_list() == ["q, one", "q2"]
    assert frame["reference_answer"][0] == "line 1\nline 2"
    assert frame["base_answer"][0] == 'says "hi"'
    assert [items_csv.row_line(tmp_path / "items.csv", i) for i in (0, 1)] == [2, 4]


def test_same_text_gives_same_key_as_log():
    assert items_csv.item_key("What?", "Paper A") == items_csv.item_key("  what? ", "paper  a")
    assert items_csv.item_key("What?", "Paper A") != items_csv.item_key("What?", "Paper B")


@pytest.mark.parametrize("content,message,line", [
    (b"", "the file is empty", None),
    (b"\n\n  \n", "the file is empty", None),
    ("question,paper\nq,p\n", "no column for reference_answer", 1),
    (f"{HEADER},question\nq,p,r,b,f,q\n", "column 'question' appears twice", 1),
    (f"{HEADER}\nq,p,r,b,f\nq2,p,r,b\n", "this row has 4 fields but the header has 5", 3),
    (f'{HEADER}\nq,p,r,b,f\nq2,p,"r,b,f\n', "a quoted field opened here is never closed", 3),
    (f"{HEADER}\nq,p,r,,f\n", "column 'base_model_answer' is empty in data row 1", 2),
    (f"{HEADER}\nq,p,r,b,f\nq,p,r,b2,f2\n", "repeats data row 1", 3),
    (f"id,{HEADER}\n7,q,p,r,b,f\n7,q2,p,r,b,f\n", "the id '7' of data row 2 repeats data row 1", 3),
    (f"{HEADER}\n".encode() + "caf\xe9,p,r,b,f\n".encode("latin-1"), "byte 0xe9 at column 4 is not UTF-8", 2),
    (f"{HEADER}\n".encode("utf-16"), "NUL bytes", 1),
    (f"{HEADER}\n", "has a header but no rows", 2),
])
def test_bad_csv(tmp_path, content, message, line):
    from reportgen.ingest import detect_format
    p = write(tmp_path, content)
    with pytest.raises(InputError) as err:
        detect_format(p)  # the cheap checks (empty, binary) happen before reading
        items_csv.read(p)
    assert message in str(err.value)
    assert err.value.line == line
    assert str(err.value).startswith(str(p))
