-- The first row of the items CSV that check_items_csv read whose key repeats an earlier row: (key, earlier position,
-- position), or no row.
WITH dups AS (
    SELECT item_key, list(position ORDER BY position) AS ps FROM staged_keys GROUP BY item_key HAVING count(*) > 1
)
SELECT item_key, ps[1] AS first_position, ps[2] AS position FROM dups ORDER BY ps[2] LIMIT 1;
