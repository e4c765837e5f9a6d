-- The first row of the staged items CSV whose id is empty ($has_id): its 0-based position, or no row. Checked before
-- the rows are keyed; the other fields are checked once the rows are items (first_blank_item).
SELECT position FROM staged_csv WHERE $has_id AND regexp_full_match(coalesce(id, ''), '\s*') ORDER BY position LIMIT 1;
