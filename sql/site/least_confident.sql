-- The 20 base-win verdicts of each run with the lowest confidence (ties broken by item key and judge):
-- the wins most worth a second look, listed on the run's home page.
SELECT r.name AS run, v.item_key, v.judge, v.winner, v.confidence
FROM verdicts v
JOIN runs r USING (run_id)
WHERE v.winner = 'base' AND v.confidence IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY v.run_id ORDER BY v.confidence, v.item_key, v.judge) <= 20
ORDER BY r.name, v.confidence, v.item_key, v.judge;
