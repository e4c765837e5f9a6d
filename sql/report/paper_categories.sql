-- Failure-category hits per source paper (paper x category), per run and judge.
SELECT r.name AS run, c.judge, i.paper, c.category, count(*) AS hits
FROM item_categories c
JOIN items i USING (run_id, item_key)
JOIN runs r USING (run_id)
GROUP BY ALL
ORDER BY r.name, c.judge, i.paper, hits DESC, c.category;
