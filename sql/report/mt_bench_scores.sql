-- MT-bench single-answer grading (FastChat show_result.py --mode single): each model's MT-bench score, the mean of its
-- grades, per turn (turn 1, 2, ...) and over all turns (turn NULL), leaving out grades of -1 or none (counted in
-- ungraded). side 'difference' is the fine-tuned model's grade minus the base model's over the question-turns both
-- were graded on. Intervals: mean ± 1.96 standard errors (none for fewer than two grades).
WITH per_model AS (
    SELECT run_id, judge, side, model, turn, count(score) AS n, count(*) - count(score) AS ungraded,
           avg(score) AS score, stddev_samp(score) / sqrt(count(score)) AS se
    FROM grades GROUP BY GROUPING SETS ((run_id, judge, side, model, turn), (run_id, judge, side, model))
), pairs AS (
    SELECT b.run_id, b.judge, b.turn, f.score - b.score AS d
    FROM grades b
    JOIN grades f ON f.run_id = b.run_id AND f.judge = b.judge AND f.item_key = b.item_key AND f.side = 'finetuned'
    WHERE b.side = 'base' AND b.score IS NOT NULL AND f.score IS NOT NULL
), per_difference AS (
    SELECT run_id, judge, 'difference' AS side, NULL AS model, turn, count(*) AS n, NULL AS ungraded,
           avg(d) AS score, stddev_samp(d) / sqrt(count(*)) AS se
    FROM pairs GROUP BY GROUPING SETS ((run_id, judge, turn), (run_id, judge))
), rows AS (
    SELECT * FROM per_model UNION ALL BY NAME SELECT * FROM per_difference
)
SELECT r.name AS run, x.judge, x.side,
       coalesce(x.model, coalesce(r.finetuned_model, 'fine-tuned') || ' − ' || coalesce(r.base_model, 'base')) AS model,
       x.turn, x.n::BIGINT AS n, x.ungraded::BIGINT AS ungraded, x.score,
       CASE WHEN x.n >= 2 THEN x.score - 1.959963984540054 * x.se END AS ci_low,
       CASE WHEN x.n >= 2 THEN x.score + 1.959963984540054 * x.se END AS ci_high
FROM rows x
JOIN runs r USING (run_id)
ORDER BY r.name, x.judge, CASE x.side WHEN 'finetuned' THEN 1 WHEN 'base' THEN 2 ELSE 3 END, x.turn NULLS FIRST;
