from pathlib import Path

import pytest

from reportgen import store
from reportgen.errors import InputError, UsageError
from reportgen.ingest import ingest, items_csv

HEADER = "question,context,true_answer,base_model_answer,finetuned_model_answer"


def write(tmp_path: Path, text: str | bytes, name="items.csv") -> Path:
    p = tmp_path / name
    if isinstance(text, str):
        p.write_text(text, encoding="utf-8", newline="")
    else:
        p.write_bytes(text)
    return p


def items(tmp_path: Path, csv: Path, mapping=None) -> list[dict]:
    db = tmp_path / "items.duckdb"
    ingest(db, [csv], run="r", mapping=mapping, replace=True)
    with store.open_db(db, read_only=True) as con:
        return con.sql("SELECT * FROM items ORDER BY position").pl().to_dicts()


def test_real_example(example_csv, tmp_path):
    plan = items_csv.check(example_csv)
    assert plan.reader == "duckdb" and plan.has_ids
    assert plan.columns == {"id": "comparison_index", "question": "question", "paper": "context",
                              "reference_answer": "true_answer", "base_answer": "base_model_answer",
                              "finetuned_answer": "finetuned_model_answer"}
    rows = items(tmp_path, example_csv)
    assert len(rows) == 53 and [r["item_key"] for r in rows[:3]] == ["1", "4", "5"]
    assert [r["position"] for r in rows] == list(range(53))
    assert items_csv.row_line(example_csv, 0) == 2
    assert items_csv.row_line(example_csv, 1) > 3  # multi-line answers


@pytest.mark.parametrize("header", [
    "Prompt,Paper,Reference,Base_Answer,Fine_Tuned_Answer",
    "QUESTION,Source,Gold,base answer,finetuned answer",
    "query,paper-title,ground truth,base_model_answer,ft_answer",
])
def test_column_spellings(tmp_path, header):
    p = write(tmp_path, f"{header}\nq1,p1,r1,b1,f1\n")
    assert not items_csv.check(p).has_ids
    [row] = items(tmp_path, p)
    assert (row["question"], row["paper"], row["reference_answer"], row["base_answer"],
            row["finetuned_answer"]) == ("q1", "p1", "r1", "b1", "f1")


def test_map_option(tmp_path):
    p = write(tmp_path, "ask,doc,want,a,b\nq,p,r,x,y\n")
    mapping = items_csv.parse_mapping(["question=ask", "paper=doc", "reference=want", "base=a", "finetuned=b"])
    [row] = items(tmp_path, p, mapping)
    assert (row["question"], row["base_answer"], row["finetuned_answer"]) == ("q", "x", "y")


def test_bad_map_option():
    with pytest.raises(UsageError, match="is not FIELD=COLUMN"):
        items_csv.parse_mapping(["colour=red"])


def test_bom_crlf_multiline_and_quotes(tmp_path):
    text = f"\ufeff{HEADER}\r\n\"q, one\",p,\"line 1\r\nline 2\",\"says \"\"hi\"\"\",f\r\nq2,p,r,b,f\r\n"
    rows = items(tmp_path, write(tmp_path, text))
    assert [r["question"] for r in rows] == ["q, one", "q2"]
    assert rows[0]["reference_answer"] == "line 1\nline 2"
    assert rows[0]["base_answer"] == 'says "hi"'
    assert [items_csv.row_line(tmp_path / "items.csv", i) for i in (0, 1)] == [2, 4]


def test_same_text_gives_same_key(example_db):
    with store.open_db(example_db, read_only=True) as con:
        a, b, c = con.sql("SELECT item_key_of('What?', 'Paper A'), item_key_of('  what?\n', 'paper \t a'), "
                          "item_key_of('What?', 'Paper B')").fetchall()[0]
    assert a == b != c and len(a) == 16


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
    p = write(tmp_path, content)
    with pytest.raises(InputError) as err:
        ingest(tmp_path / "x.duckdb", [p], run="r")
    assert message in str(err.value)
    assert err.value.line == line
    assert str(err.value).startswith(str(p))


@pytest.mark.parametrize("has_id", [True, False])
def test_read_straight_into_items_as_the_staged_path_would(tmp_path, monkeypatch, has_id):
    """The rows go straight from the file into items; the staged path (which an error falls back to,
    to name the rows) writes the same items: keys, positions, text with CRLF turned into LF, the
    source's summary."""
    rows = [f'"q{i}\r\nwith a line",paper {i % 7},"ref, {i}",base {i},"ft ""{i}"""' for i in range(3000)]
    csv = write(tmp_path, ("id," if has_id else "") + HEADER + "\r\n"
                + "".join((f"k{i:05d}," if has_id else "") + row + "\r\n" for i, row in enumerate(rows)))

    def read(db: Path) -> tuple[list, list]:
        ingest(db, [csv], run="r")
        with store.open_db(db, read_only=True) as con:
            # (not the run id: the staged path's comes after the first try's, which was rolled back)
            return (con.sql("SELECT * EXCLUDE (run_id, source_id) FROM items ORDER BY position").fetchall(),
                    con.sql("SELECT summary FROM sources").fetchall())

    straight = read(tmp_path / "straight.duckdb")
    staged_calls = []
    real_stage = items_csv.stage
    monkeypatch.setattr(items_csv, "stage", lambda *a, **k: staged_calls.append(1) or real_stage(*a, **k))

    def refuse(ctx, src):
        raise items_csv.CheckRows(str(src.path))
    monkeypatch.setattr(items_csv, "_write_direct", refuse)
    staged = read(tmp_path / "staged.duckdb")
    assert staged_calls == [1]
    assert straight == staged
    assert len(straight[0]) == 3000 and straight[0][5][2] == "q5\nwith a line"
    assert [r[1] for r in straight[0]] == list(range(3000))
