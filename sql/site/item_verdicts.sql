-- Every verdict on an item with known text, per run, item and judge: what each judge said about a transcript's question,
-- with each order's (game's) own outcome, label and text where a two-order judge stored them.
SELECT r.name AS run, v.item_key, v.judge, v.winner, v.confidence, v.rationale,
       o1.outcome AS outcome_1, o1.label AS label_1, o1.rationale AS rationale_1,
       o2.outcome AS outcome_2, o2.label AS label_2, o2.rationale AS rationale_2
FROM verdicts v
JOIN runs r USING (run_id)
LEFT JOIN judge_orders o1 ON o1.run_id = v.run_id AND o1.judge = v.judge AND o1.item_key = v.item_key AND o1.ord = 1
LEFT JOIN judge_orders o2 ON o2.run_id = v.run_id AND o2.judge = v.judge AND o2.item_key = v.item_key AND o2.ord = 2
WHERE v.item_key IS NOT NULL
ORDER BY r.name, v.item_key, v.judge, v.seq;
