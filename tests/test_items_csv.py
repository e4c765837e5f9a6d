import tempfile
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


def test_a_long_field_does_not_lose_the_line_of_a_later_error(tmp_path):
    """Lines are counted with Python's csv module, whose limit on a field (128 KiB) is lifted for it:
    a longer answer before the refused row gave "line None"."""
    import csv
    p = write(tmp_path, f"id,{HEADER}\n1,q,p,r,{'b' * 200_000},f\n7,q,p,r,b,f\n7,q2,p,r,b,f\n")
    default = csv.field_size_limit(131_072)  # as in a new process (an earlier test may have lifted it)
    try:
        with pytest.raises(InputError) as err:
            ingest(tmp_path / "x.duckdb", [p], run="r")
    finally:
        csv.field_size_limit(default)
    assert err.value.line == 4 and "repeats data row 2 (line 3)" in str(err.value)


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
def test_a_file_duckdb_cannot_sniff_gives_the_same_items(tmp_path, has_id, monkeypatch):
    """Mixed line endings make DuckDB's sniffer give up; the file's rows go in through a copy
    with one kind of line ending: the same items (keys, positions, text with CRLF inside fields
    turned into LF) as the same rows with one kind of line ending. An empty line is skipped in
    both, as DuckDB skips it (polars, which made the copy before, read it as a row of empty fields)."""
    rows = [(f"k{i:05d}," if has_id else "") + f'"q{i}\r\nwith a line",paper {i % 7},"ref, {i}",base {i},"ft ""{i}"""'
            for i in range(3000)]
    rows[20] = rows[20].replace('"ref, 20"', '"ref\r20"')  # a CR on its own in a field
    header = ("id," if has_id else "") + HEADER
    uniform = write(tmp_path, header + "\r\n" + "".join(row + "\r\n" + ("\r\n" if i == 10 else "")
                                                           for i, row in enumerate(rows)), "uniform.csv")
    mixed = write(tmp_path, header + "\n" + "".join(row + ("\r\n" if i % 2 else "\n") + ("\n" if i == 10 else "")
                                                   for i, row in enumerate(rows)), "mixed.csv")
    assert (items_csv.check(uniform).reader, items_csv.check(mixed).reader) == ("duckdb", "copy")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # where the copy goes
    got = [[{k: v for k, v in row.items() if k not in ("run_id", "source_id")} for row in items(tmp_path, csv)]
           for csv in (uniform, mixed)]
    assert got[0] == got[1]
    assert [r["position"] for r in got[0]] == list(range(3000)) and got[0][5]["question"] == "q5\nwith a line"
    assert got[0][20]["reference_answer"] == "ref\r20"
    assert not any(scratch.iterdir())  # the copy is gone


@pytest.mark.parametrize("last_row", ["k00000,q,p,r,b,f", "k99999,q,p,,b,f", "k99999,q,p,r,b", "  ,q,p,r,b,f"])
def test_a_refused_large_file_leaves_the_database_as_it_was(tmp_path, example_db, last_row):
    """More rows than DuckDB writes at once into the database file (a row group, even its default 122,880): every
    check runs before any row goes into items, so a file refused for its last row leaves the file
    byte for byte as it was (a rolled-back insert would have grown it)."""
    from conftest import sha256
    csv = write(tmp_path, "id," + HEADER + "\n" + "".join(f"k{i:05d},q{i},p,r,b,f\n" for i in range(130_000))
                + last_row + "\n", "large.csv")
    before = sha256(example_db)
    with pytest.raises(InputError, match="line 130002"):
        ingest(example_db, [csv], run="large")
    assert sha256(example_db) == before


@pytest.mark.parametrize("rows,bad", [(1, 0), (3, 2), (2047, 2046), (2048, 2047), (3, 1)])
def test_a_field_too_many_names_its_row_wherever_it_is(tmp_path, rows, bad):
    """DuckDB's strict reader reads no rows at all, and no error, when the last of up to 2047 rows has a
    field too many: that is the row's error, not "no rows"."""
    lines = [f"q{i},p,r,b,f" + (",EXTRA" if i == bad else "") for i in range(rows)]
    p = write(tmp_path, HEADER + "\n" + "\n".join(lines) + "\n")
    with pytest.raises(InputError) as err:
        ingest(tmp_path / "x.duckdb", [p], run="r")
    assert err.value.line == bad + 2
    assert err.value.message == ("this row has 6 fields but the header has 5; quote fields that contain commas "
                                 "or fix the row")
