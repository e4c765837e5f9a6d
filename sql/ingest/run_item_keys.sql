-- The item keys of a run (to check a verdict JSONL against).
SELECT item_key FROM items WHERE run_id = $run_id;
