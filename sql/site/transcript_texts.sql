-- The text of the given transcripts (parallel lists $runs and $keys: run names and item keys) with their failure
-- categories' evidence (the first judge's, as in site/transcript_list): what a transcript page shows besides its verdicts.
WITH wanted AS (
    SELECT r.run_id, w.run, w.item_key
    FROM (SELECT unnest($runs) AS run, unnest($keys) AS item_key) w
    JOIN runs r ON r.name = w.run
), hits AS (
    SELECT c.run_id, c.item_key, c.category, arg_min(c.evidence, c.judge) AS evidence
    FROM item_categories c
    SEMI JOIN wanted w ON w.run_id = c.run_id AND w.item_key = c.item_key
    SEMI JOIN base_wins b ON b.run_id = c.run_id AND b.judge = c.judge AND b.item_key = c.item_key
    GROUP BY ALL
)
SELECT w.run, w.item_key, i.reference_answer, i.base_answer, i.finetuned_answer,
       coalesce(list(h.category ORDER BY h.category) FILTER (h.category IS NOT NULL), []) AS categories,
       coalesce(list(h.evidence ORDER BY h.category) FILTER (h.category IS NOT NULL), []) AS evidence
FROM wanted w
JOIN items i USING (run_id, item_key)
LEFT JOIN hits h USING (run_id, item_key)
GROUP BY ALL
ORDER BY w.run, w.item_key;
