-- Read an items CSV straight into a temporary table, its columns renamed to reportgen's field names ($names, in header order).
-- DuckDB keeps the file's row order when it reads (preserve_insertion_order), so row_number() is the row's position.
CREATE OR REPLACE TEMP TABLE staged_csv AS
SELECT row_number() OVER () - 1 AS position, *
FROM read_csv($path, header = true, all_varchar = true, strict_mode = true, names = $names,
              delim = ',', quote = '"', escape = '"', encoding = 'utf-8');
