-- The first row of the items CSV that check_items_csv read whose key is already an item of the run: (key, position),
-- or no row.
SELECT k.item_key, k.position
FROM staged_keys k JOIN items i ON i.run_id = $run_id AND i.item_key = k.item_key
ORDER BY k.position LIMIT 1;
