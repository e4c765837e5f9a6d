-- Verdicts per run, judge and winner: every verdict is counted, invalid ones and those whose item is unknown included.
SELECT r.name AS run, v.judge, v.winner, count(*) AS verdicts, count(*) FILTER (v.item_key IS NULL) AS item_unknown
FROM verdicts v
JOIN runs r USING (run_id)
GROUP BY ALL
ORDER BY run, v.judge, v.winner;
