-- Check an items CSV before any of its rows goes into items, so that a refused file leaves the database as it was:
-- one pass over the file keeps, in the temporary table staged_keys, each row's 0-based position, its key as
-- insert_csv_items makes it ($has_id: the id, else a hash of paper and question), and the first of its fields (the
-- id first) that is empty or blank. The staged_* queries read it. DuckDB keeps the file's row order when it reads
-- (preserve_insertion_order), so row_number() is the row's position.
CREATE OR REPLACE TEMP TABLE staged_keys AS
SELECT row_number() OVER () - 1 AS position,
       CASE WHEN $has_id THEN trim(c.id) ELSE item_key_of(c.question, c.paper) END AS item_key,
       CASE WHEN $has_id AND (regexp_full_match(coalesce(c.id, ''), '\s*') OR trim(c.id) = '') THEN 'id'  -- trim: Unicode spaces too
            WHEN regexp_full_match(coalesce(c.question, ''), '\s*') THEN 'question'
            WHEN regexp_full_match(coalesce(c.paper, ''), '\s*') THEN 'paper'
            WHEN regexp_full_match(coalesce(c.reference_answer, ''), '\s*') THEN 'reference_answer'
            WHEN regexp_full_match(coalesce(c.base_answer, ''), '\s*') THEN 'base_answer'
            WHEN regexp_full_match(coalesce(c.finetuned_answer, ''), '\s*') THEN 'finetuned_answer' END AS blank
FROM (SELECT NULL::VARCHAR AS id WHERE false  -- an id column for a CSV without one
      UNION ALL BY NAME
      SELECT * FROM read_csv($path, header = true, all_varchar = true, strict_mode = true, names = $names,
                             delim = ',', quote = '"', escape = '"', encoding = 'utf-8')) c;
