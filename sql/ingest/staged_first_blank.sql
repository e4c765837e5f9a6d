-- The first row of the items CSV that check_items_csv read with an empty or blank field: (field, 0-based position),
-- or no row.
SELECT blank, position FROM staged_keys WHERE blank IS NOT NULL ORDER BY position LIMIT 1;
