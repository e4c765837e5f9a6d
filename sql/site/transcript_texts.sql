-- The text of the given transcripts (parallel lists $runs and $keys: run names and item keys) with their failure
-- categories' evidence (the first judge's, as in site/transcript_list): what a transcript page shows besides its verdicts.
-- The items are found by their keys first and their text read by row id: only those rows' text is read (a join on
-- the keys would read every item's text).
WITH wanted AS (
    SELECT r.run_id, w.run, w.item_key, i.rowid AS item_row
    FROM (SELECT unnest($runs) AS run, unnest($keys) AS item_key) w
    JOIN runs r ON r.name = w.run
    JOIN items i ON i.run_id = r.run_id AND i.item_key = w.item_key
), hits AS (
    SELECT c.run_id, c.item_key, c.category, arg_min(c.evidence, c.judge) AS evidence
    FROM item_categories c
    SEMI JOIN wanted w ON w.run_id = c.run_id AND w.item_key = c.item_key
    SEMI JOIN base_wins b ON b.run_id = c.run_id AND b.judge = c.judge AND b.item_key = c.item_key
    GROUP BY ALL
), cats AS (
    SELECT run_id, item_key, list(category ORDER BY category) AS categories, list(evidence ORDER BY category) AS evidence
    FROM hits GROUP BY ALL
)
SELECT w.run, w.item_key, i.reference_answer, i.base_answer, i.finetuned_answer,
       coalesce(c.categories, []) AS categories, coalesce(c.evidence, []) AS evidence
FROM wanted w
JOIN items i ON i.rowid = w.item_row
LEFT JOIN cats c ON c.run_id = w.run_id AND c.item_key = w.item_key
ORDER BY w.run, w.item_key;
