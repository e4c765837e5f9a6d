-- The items table as the SQL console publishes it (every column, as in the database).
SELECT * FROM items ORDER BY run_id, position NULLS LAST, item_key;
