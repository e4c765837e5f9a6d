-- Failure-category hits per source paper (paper x category), per run and judge (from summary_categories).
SELECT r.name AS run, c.judge, c.paper, c.category, c.hits
FROM summary_categories c
JOIN runs r USING (run_id)
ORDER BY r.name, c.judge, c.paper, c.hits DESC, c.category;
