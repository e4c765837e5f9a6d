-- Store the failure-category hits of a run (a registered frame named staged_categories).
INSERT INTO item_categories (run_id, judge, item_key, category, evidence)
SELECT run_id, judge, item_key, category, evidence FROM staged_categories WHERE run_id = $run_id;
