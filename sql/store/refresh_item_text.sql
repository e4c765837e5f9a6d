-- Recompute the text digests and answers' lengths of run $run_id's items (summary_item_text, migration 006), in the
-- transaction that changed its items: an ingest that wrote items, a migration (store.refresh_summaries, items=True).
DELETE FROM summary_item_text WHERE run_id = $run_id;
INSERT INTO summary_item_text
SELECT run_id, item_key, hash(question, reference_answer, base_answer, finetuned_answer),
       length(reference_answer), length(base_answer), length(finetuned_answer)
FROM items
WHERE run_id = $run_id;
