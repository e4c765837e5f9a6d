-- Forget a run's failure-category hits before they are computed again.
DELETE FROM item_categories WHERE run_id = $run_id;
