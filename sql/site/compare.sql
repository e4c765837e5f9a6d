-- Two runs question by question: each item's verdict in run a and in run b (each run's first judge by name), changes first.
-- Items are matched by key, and compared only where their question is the same (or unknown in either run), as in the
-- paired_comparison report: a shared key whose questions differ is 'different question' and not compared; a pair with
-- an invalid verdict in either run is 'invalid verdict' (the paired comparison leaves it out too); the flips are those
-- of paired_comparison (flips_to_b: to a fine-tuned win from a base win or tie; flips_to_a the reverse).
WITH judge_a AS (
    SELECT min(v.judge) AS judge FROM verdicts v JOIN runs r USING (run_id) WHERE r.name = $run_a
), judge_b AS (
    SELECT min(v.judge) AS judge FROM verdicts v JOIN runs r USING (run_id) WHERE r.name = $run_b
), a AS (
    SELECT v.item_key, v.winner, i.paper, i.question, i.position FROM verdicts v JOIN runs r USING (run_id)
    LEFT JOIN items i ON i.run_id = v.run_id AND i.item_key = v.item_key
    WHERE r.name = $run_a AND v.item_key IS NOT NULL AND v.judge = (SELECT judge FROM judge_a)
), b AS (
    SELECT v.item_key, v.winner, i.paper, i.question, i.position FROM verdicts v JOIN runs r USING (run_id)
    LEFT JOIN items i ON i.run_id = v.run_id AND i.item_key = v.item_key
    WHERE r.name = $run_b AND v.item_key IS NOT NULL AND v.judge = (SELECT judge FROM judge_b)
), joined AS (
    SELECT item_key, a.winner AS winner_a, b.winner AS winner_b,
           coalesce(a.paper, b.paper) AS paper, coalesce(a.position, b.position) AS position,
           a.question <> b.question AS other_question,
           CASE WHEN a.question <> b.question THEN a.question || ' | ' || $run_b || ': ' || b.question
                ELSE coalesce(a.question, b.question) END AS question
    FROM a FULL OUTER JOIN b USING (item_key)
)
SELECT j.item_key, j.paper, j.question, j.winner_a, j.winner_b,
       CASE WHEN j.winner_a IS NULL THEN 'only in ' || $run_b
            WHEN j.winner_b IS NULL THEN 'only in ' || $run_a
            WHEN j.other_question THEN 'different question'
            WHEN 'invalid' IN (j.winner_a, j.winner_b) THEN 'invalid verdict'
            WHEN j.winner_a = j.winner_b THEN 'same'
            WHEN j.winner_b = 'finetuned' THEN 'flipped to fine-tuned'
            WHEN j.winner_a = 'finetuned' THEN 'flipped away from fine-tuned'
            ELSE 'changed' END AS change,
       (SELECT judge FROM judge_a) AS judge_a, (SELECT judge FROM judge_b) AS judge_b
FROM joined j
ORDER BY CASE WHEN change IN ('flipped to fine-tuned', 'flipped away from fine-tuned', 'changed') THEN 0
              WHEN change IN ('same', 'invalid verdict') THEN 1 ELSE 2 END,
         j.paper NULLS LAST, j.position NULLS LAST, j.item_key;
