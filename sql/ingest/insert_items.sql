-- Insert staged items (a registered frame named staged_items) of a field format into a run.
INSERT INTO items (run_id, item_key, position, question, paper, reference_answer, base_answer, finetuned_answer,
                   source_id, source_line)
SELECT $run_id, item_key, position, question, paper, reference_answer, base_answer, finetuned_answer,
       $source_id, source_line
FROM staged_items
ORDER BY position;
