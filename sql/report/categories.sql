-- Failure categories per run and judge: how many base wins each category matches, and their share of all base wins with text.
WITH wins AS (
    SELECT run_id, judge, count(*) AS base_wins_with_text FROM base_wins GROUP BY ALL
), hits AS (
    SELECT run_id, judge, category, count(*) AS hits FROM item_categories GROUP BY ALL
)
SELECT r.name AS run, h.judge, h.category, h.hits, w.base_wins_with_text,
       h.hits / w.base_wins_with_text AS share
FROM hits h
JOIN wins w USING (run_id, judge)
JOIN runs r USING (run_id)
ORDER BY r.name, h.judge, h.hits DESC, h.category;
