-- Baseline of the ingest benchmark: DuckDB's own read_csv of the items CSV into a table, nothing else.
CREATE TABLE items AS SELECT * FROM read_csv($path, header = true, all_varchar = true);
