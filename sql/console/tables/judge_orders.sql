-- The judge_orders table (one row per item and order a two-order judge saw) as the SQL console publishes it.
SELECT * FROM judge_orders ORDER BY run_id, judge, item_key, ord;
