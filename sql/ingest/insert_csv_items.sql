-- Read an items CSV that check_items_csv passed into the run's items, keyed as it keyed the rows ($has_id: the id
-- column, else a hash of paper and question), CRLF inside fields turned into LF; returns the number of rows. The
-- position is the row's, as in check_items_csv.
DROP TABLE staged_keys;
INSERT INTO items BY NAME
SELECT $run_id AS run_id, CASE WHEN $has_id THEN trim(c.id) ELSE item_key_of(c.question, c.paper) END AS item_key,
       (row_number() OVER () - 1)::INTEGER AS position,
       -- each text field under its own name, CRLF inside it turned into LF (copied only where there is one)
       CASE WHEN contains(COLUMNS(['question', 'paper', 'reference_answer', 'base_answer', 'finetuned_answer']), chr(13))
            THEN replace(COLUMNS(['question', 'paper', 'reference_answer', 'base_answer', 'finetuned_answer']),
                         chr(13) || chr(10), chr(10))
            ELSE COLUMNS(['question', 'paper', 'reference_answer', 'base_answer', 'finetuned_answer']) END,
       $source_id AS source_id
FROM (SELECT NULL::VARCHAR AS id WHERE false
      UNION ALL BY NAME
      SELECT * FROM read_csv($path, header = true, all_varchar = true, strict_mode = true, names = $names,
                             delim = ',', quote = '"', escape = '"', encoding = 'utf-8')) c;
