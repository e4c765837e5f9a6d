-- Every verdict on the given transcripts' questions (parallel lists $runs and $keys: run names and item keys): what
-- each judge said, with each order's (game's) own outcome, label and text where a two-order judge stored them.
WITH wanted AS (
    SELECT r.run_id, w.run, w.item_key
    FROM (SELECT unnest($runs) AS run, unnest($keys) AS item_key) w
    JOIN runs r ON r.name = w.run
)
SELECT w.run, v.item_key, v.judge, v.winner, v.confidence, v.rationale,
       o1.outcome AS outcome_1, o1.label AS label_1, o1.rationale AS rationale_1,
       o2.outcome AS outcome_2, o2.label AS label_2, o2.rationale AS rationale_2
FROM verdicts v
JOIN wanted w ON w.run_id = v.run_id AND w.item_key = v.item_key
LEFT JOIN judge_orders o1 ON o1.run_id = v.run_id AND o1.judge = v.judge AND o1.item_key = v.item_key AND o1.ord = 1
LEFT JOIN judge_orders o2 ON o2.run_id = v.run_id AND o2.judge = v.judge AND o2.item_key = v.item_key AND o2.ord = 2
ORDER BY w.run, v.item_key, v.judge, v.seq;
