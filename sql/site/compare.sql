-- Two runs question by question: each item's verdict in run a and in run b (each run's first judge by name), changes first.
WITH judge_a AS (
    SELECT min(v.judge) AS judge FROM verdicts v JOIN runs r USING (run_id) WHERE r.name = $run_a
), judge_b AS (
    SELECT min(v.judge) AS judge FROM verdicts v JOIN runs r USING (run_id) WHERE r.name = $run_b
), a AS (
    SELECT v.item_key, v.winner FROM verdicts v JOIN runs r USING (run_id)
    WHERE r.name = $run_a AND v.item_key IS NOT NULL AND v.judge = (SELECT judge FROM judge_a)
), b AS (
    SELECT v.item_key, v.winner FROM verdicts v JOIN runs r USING (run_id)
    WHERE r.name = $run_b AND v.item_key IS NOT NULL AND v.judge = (SELECT judge FROM judge_b)
), texts AS (
    SELECT i.item_key, min(i.paper) AS paper, min(i.question) AS question, min(i.position) AS position
    FROM items i JOIN runs r USING (run_id)
    WHERE r.name IN ($run_a, $run_b)
    GROUP BY i.item_key
), joined AS (
    SELECT item_key, a.winner AS winner_a, b.winner AS winner_b
    FROM a FULL OUTER JOIN b USING (item_key)
)
SELECT j.item_key, t.paper, t.question, j.winner_a, j.winner_b,
       CASE WHEN j.winner_a IS NULL THEN 'only in ' || $run_b
            WHEN j.winner_b IS NULL THEN 'only in ' || $run_a
            WHEN j.winner_a = j.winner_b THEN 'same'
            WHEN j.winner_b = 'finetuned' THEN 'flipped to fine-tuned'
            WHEN j.winner_a = 'finetuned' THEN 'flipped away from fine-tuned'
            ELSE 'changed' END AS change,
       (SELECT judge FROM judge_a) AS judge_a, (SELECT judge FROM judge_b) AS judge_b
FROM joined j
LEFT JOIN texts t USING (item_key)
ORDER BY CASE WHEN j.winner_a IS NOT NULL AND j.winner_b IS NOT NULL AND j.winner_a <> j.winner_b THEN 0
              WHEN j.winner_a IS NULL OR j.winner_b IS NULL THEN 2 ELSE 1 END,
         t.paper NULLS LAST, t.position NULLS LAST, j.item_key;
