-- Baseline of the query benchmark: the least a per-paper report must do, one join and one GROUP BY.
SELECT i.paper, v.judge, count(*) AS n, count(*) FILTER (v.winner = 'finetuned') AS finetuned_wins
FROM verdicts v JOIN items i ON i.run_id = v.run_id AND i.item_key = v.item_key
GROUP BY ALL;
