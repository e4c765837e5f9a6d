-- Move the staged items CSV into the run's items (CRLF inside fields becomes LF), then drop the staging tables.
-- Keyed as in staged_keys ($has_id: the id column, else a hash of paper and question). A plain scan of staged_csv
-- keeps the file's row order (preserve_insertion_order), so no join or sort of the text is needed; fields without
-- a carriage return are kept as they are instead of copied by replace().
INSERT INTO items (run_id, item_key, position, question, paper, reference_answer, base_answer, finetuned_answer,
                   source_id, source_line)
SELECT $run_id, CASE WHEN $has_id THEN trim(s.id) ELSE item_key_of(s.question, s.paper) END, s.position::INTEGER,
       CASE WHEN contains(s.question, chr(13)) THEN replace(s.question, chr(13) || chr(10), chr(10)) ELSE s.question END,
       CASE WHEN contains(s.paper, chr(13)) THEN replace(s.paper, chr(13) || chr(10), chr(10)) ELSE s.paper END,
       CASE WHEN contains(s.reference_answer, chr(13))
            THEN replace(s.reference_answer, chr(13) || chr(10), chr(10)) ELSE s.reference_answer END,
       CASE WHEN contains(s.base_answer, chr(13))
            THEN replace(s.base_answer, chr(13) || chr(10), chr(10)) ELSE s.base_answer END,
       CASE WHEN contains(s.finetuned_answer, chr(13))
            THEN replace(s.finetuned_answer, chr(13) || chr(10), chr(10)) ELSE s.finetuned_answer END,
       $source_id, NULL
FROM staged_csv s;
DROP TABLE staged_keys;
DROP TABLE staged_csv;
