-- Read an items CSV that check_items_csv passed into the run's items, keyed as it keyed the rows ($has_id: the id
-- column, else a hash of paper and question), CRLF inside fields turned into LF. Each row's position is the one
-- check_items_csv gave its key in staged_keys (the keys are unique by then): a join runs on every core, where
-- numbering the rows again (row_number() OVER ()) took as long as the rest of the read.
INSERT INTO items BY NAME
SELECT $run_id AS run_id, s.item_key, s.position::INTEGER AS position,
       -- each text field under its own name, CRLF inside it turned into LF (copied only where there is one)
       CASE WHEN contains(COLUMNS(['question', 'paper', 'reference_answer', 'base_answer', 'finetuned_answer']), chr(13))
            THEN replace(COLUMNS(['question', 'paper', 'reference_answer', 'base_answer', 'finetuned_answer']),
                         chr(13) || chr(10), chr(10))
            ELSE COLUMNS(['question', 'paper', 'reference_answer', 'base_answer', 'finetuned_answer']) END,
       $source_id AS source_id
FROM (SELECT NULL::VARCHAR AS id WHERE false
      UNION ALL BY NAME
      SELECT * FROM read_csv($path, header = true, all_varchar = true, strict_mode = true, names = $names,
                             delim = ',', quote = '"', escape = '"', encoding = 'utf-8')) c
JOIN staged_keys s ON s.item_key = CASE WHEN $has_id THEN trim(c.id) ELSE item_key_of(c.question, c.paper) END;
DROP TABLE staged_keys;
