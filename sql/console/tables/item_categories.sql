-- The item_categories table (failure-category hits with their evidence) as the SQL console publishes it.
SELECT * FROM item_categories ORDER BY run_id, judge, item_key, category;
