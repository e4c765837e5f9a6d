"""A build holds a bounded amount of transcript text: the pages are rendered in parts of at most
builder.CHUNK pages, each part's text read before and let go after it, and the transcripts data
files are streamed from the database data.BATCH rows at a time. The site is the same either way."""

from __future__ import annotations

import hashlib
import io
from contextlib import contextmanager

import polars as pl

from conftest import tree
from reportgen import report, store
from reportgen import site as site_mod
from reportgen.ingest import ingest
from reportgen.output import render
from reportgen.site import builder, data, gathering
from reportgen.synth import generate


def test_pages_are_rendered_in_parts_holding_a_bounded_amount_of_text(example_db, tmp_path, monkeypatch):
    whole = tmp_path / "whole"
    site_mod.build(example_db, whole, search=False)
    monkeypatch.setattr(builder, "CHUNK", 10)
    loads: list[int] = []
    real_load = gathering.load_text  # the builder imports it when a build reads the database

    def load_text(con, site, wanted):
        # Nothing read for an earlier part is still held when the next part is read.
        assert not [t.key for r in site.runs for t in r.transcripts if t.base is not None or t.all_verdicts]
        loaded = real_load(con, site, wanted)
        loads.append(len(loaded))
        return loaded
    monkeypatch.setattr(gathering, "load_text", load_text)
    parts = tmp_path / "parts"
    result = site_mod.build(example_db, parts, search=False)
    assert len(loads) == -(-len(result.rendered) // 2 // 10) and max(loads) <= 10 and sum(loads) == 53
    assert tree(parts) == tree(whole)


def _writer(made: dict[int, tuple[io.BytesIO, io.BytesIO]]):
    """``open_part`` for data.write_transcripts: each part's CSV and Parquet file in memory, by part."""
    @contextmanager
    def open_part(k: int):
        assert k not in made  # each part is opened once
        made[k] = io.BytesIO(), io.BytesIO()
        yield made[k]
    return open_part


def _part_of(keys: pl.Series, parts: int) -> pl.Series:
    """The part of each item key, computed here as the data page tells a reader to: the first byte of its MD5."""
    return keys.map_elements(lambda k: hashlib.md5(k.encode("utf-8")).digest()[0] % parts, return_dtype=pl.Int64)


def test_transcripts_data_files_are_streamed_in_batches(tmp_path, monkeypatch):
    """Written a few rows at a time, in parts, for every run or one: each part's CSV has the bytes of the
    CSV of the table's rows whose item is in that part, and its Parquet file those rows; a part without
    rows, or a run without base wins, gets the header and an empty table; only the parts asked for are
    written, read by the keys of their items or from every row. Run a has two judges (an item's base wins under both are two rows, in the same part)."""
    db = tmp_path / "three.duckdb"
    for run, seed in (("a", 1), ("b", 2)):
        syn = generate(tmp_path / run, items=60, papers=3, seed=seed)
        ingest(db, [syn.csv, syn.log] + ([syn.jsonl] if run == "a" else []), run=run)
    ingest(db, [syn.csv], run="c")  # items without verdicts: no base win
    monkeypatch.setattr(data, "BATCH", 7)
    with store.open_db(db, read_only=True) as con:
        for run in (None, "a", "b", "c"):
            whole = report.frame(con, "transcripts", run)
            assert (whole.height > 7) == (run != "c")
            cases = [(1, [0], None), (4, [3, 0, 1, 2], None), (16, range(16), None), (4, [2], None),
                     (4, [2, 3], whole["item_key"].to_list()), (16, [0, 5, 9], whole["item_key"].to_list())]
            for parts, wanted, keys in cases:
                made: dict[int, tuple[io.BytesIO, io.BytesIO]] = {}
                data.write_transcripts(con, run, parts, wanted, _writer(made), keys)
                assert set(made) == set(wanted)
                part = _part_of(whole["item_key"], parts)
                for k, (csv_file, parquet_file) in made.items():
                    rows = whole.filter(part == k)
                    assert csv_file.getvalue() == render(rows, "csv").encode("utf-8")
                    assert pl.read_parquet(io.BytesIO(parquet_file.getvalue())).equals(rows)
            if run is not None:  # with 16 parts of about 6 base wins, some part has none
                assert _part_of(whole["item_key"], 16).n_unique() < 16


def test_transcripts_data_files_need_less_memory_than_their_text(tmp_path, monkeypatch):
    """DuckDB cannot spill a sort of every transcript's text to disk: the data files are written in
    their order without one, under a memory budget smaller than the text they hold."""
    db = tmp_path / "big.duckdb"
    syn = generate(tmp_path / "g", items=8_000, papers=3, seed=3)
    ingest(db, [syn.csv, syn.log, syn.jsonl], run="r")  # two judges: most base wins twice
    with store.open_db(db, read_only=True) as con:
        whole = report.frame(con, "transcripts", None)
    text = sum(whole[c].str.len_bytes().sum() for c in ("question", "reference_answer", "base_answer",
                                                          "finetuned_answer"))
    budget = 28 * 2**20
    assert text > budget
    monkeypatch.setenv("REPORTGEN_MEMORY_LIMIT", f"{budget // 2**20}MiB")
    monkeypatch.setattr(data, "BATCH", 100)
    made: dict[int, tuple[io.BytesIO, io.BytesIO]] = {}
    with store.open_db(db, read_only=True) as con:
        data.write_transcripts(con, None, 1, [0], _writer(made))
    assert made[0][0].getvalue() == render(whole, "csv").encode("utf-8")
