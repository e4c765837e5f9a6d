-- Remove everything a run holds (for --replace), keeping the run row itself.
DELETE FROM item_categories WHERE run_id = $run_id;
DELETE FROM verdicts WHERE run_id = $run_id;
DELETE FROM items WHERE run_id = $run_id;
DELETE FROM sources WHERE run_id = $run_id;
UPDATE runs SET declared_items = NULL WHERE run_id = $run_id;
DELETE FROM judge_orders WHERE run_id = $run_id;
UPDATE runs SET base_model = NULL, finetuned_model = NULL, group_label = NULL WHERE run_id = $run_id;
DELETE FROM grades WHERE run_id = $run_id;
