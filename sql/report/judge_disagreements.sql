-- Items on which two judges of a run give different winners, with both verdicts, by paper then CSV position (from summary_disagreements).
SELECT r.name AS run, d.judge_a, d.judge_b, d.item_key, d.paper, d.question,
       d.winner_a, d.winner_b, d.confidence_a, d.confidence_b
FROM summary_disagreements d
JOIN runs r USING (run_id)
ORDER BY r.name, d.ord;
