-- Move the staged items CSV into the run's items as insert_csv_items reads a file into them (keyed as in
-- staged_keys, CRLF inside fields turned into LF), then drop the staging tables. A plain scan of staged_csv keeps the
-- file's row order (preserve_insertion_order), so no join or sort of the text is needed.
INSERT INTO items BY NAME
SELECT $run_id AS run_id, CASE WHEN $has_id THEN trim(s.id) ELSE item_key_of(s.question, s.paper) END AS item_key,
       s.position::INTEGER AS position,
       CASE WHEN contains(COLUMNS(['question', 'paper', 'reference_answer', 'base_answer', 'finetuned_answer']), chr(13))
            THEN replace(COLUMNS(['question', 'paper', 'reference_answer', 'base_answer', 'finetuned_answer']),
                         chr(13) || chr(10), chr(10))
            ELSE COLUMNS(['question', 'paper', 'reference_answer', 'base_answer', 'finetuned_answer']) END,
       $source_id AS source_id
FROM staged_csv s;
DROP TABLE staged_keys;
DROP TABLE staged_csv;
