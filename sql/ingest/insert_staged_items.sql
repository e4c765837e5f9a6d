-- Move the staged items CSV into the run's items (CRLF inside fields becomes LF), then drop the staging tables.
INSERT INTO items (run_id, item_key, position, question, paper, reference_answer, base_answer, finetuned_answer,
                   source_id, source_line)
SELECT $run_id, k.item_key, k.position::INTEGER,
       replace(s.question, chr(13) || chr(10), chr(10)), replace(s.paper, chr(13) || chr(10), chr(10)),
       replace(s.reference_answer, chr(13) || chr(10), chr(10)), replace(s.base_answer, chr(13) || chr(10), chr(10)),
       replace(s.finetuned_answer, chr(13) || chr(10), chr(10)), $source_id, NULL
FROM staged_csv s JOIN staged_keys k ON k.position = s.position
ORDER BY k.position;
DROP TABLE staged_keys;
DROP TABLE staged_csv;
