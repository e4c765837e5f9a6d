-- Paired comparison of every two (run, judge) verdict sets over their common items (two checkpoints, or two judges of one run).
-- An item scores 1 for a fine-tuned win, 1/2 for a tie, 0 for a base win; invalid verdicts leave the pair out.
-- difference = mean score of b minus a, with a 95 % normal interval on the per-item differences;
-- flips_to_b: items b wins (fine-tuned) that a did not; flips_to_a the reverse; mcnemar_p is the exact two-sided
-- McNemar test on those discordant items (binomial, p = 1/2).
WITH scored AS (
    SELECT r.name AS run, v.run_id, v.judge, v.item_key, v.winner = 'finetuned' AS win,
           CASE v.winner WHEN 'finetuned' THEN 1.0 WHEN 'tie' THEN 0.5 ELSE 0.0 END AS score
    FROM verdicts v JOIN runs r USING (run_id)
    WHERE v.item_key IS NOT NULL AND v.winner <> 'invalid'
), pairs AS (
    SELECT a.run AS run_a, a.judge AS judge_a, b.run AS run_b, b.judge AS judge_b,
           count(*) AS n,
           count(*) FILTER (NOT a.win AND b.win) AS flips_to_b,
           count(*) FILTER (a.win AND NOT b.win) AS flips_to_a,
           count(*) FILTER (a.score <> b.score) AS changed,
           avg(a.score) AS rate_a, avg(b.score) AS rate_b,
           avg(b.score - a.score) AS difference,
           coalesce(stddev_samp(b.score - a.score), 0) / sqrt(count(*)) AS se
    FROM scored a
    JOIN scored b ON b.item_key = a.item_key AND (a.run, a.judge) < (b.run, b.judge)
    GROUP BY ALL
), tails AS (
    -- P(X <= min(flips)) for X ~ Binomial(flips_to_a + flips_to_b, 1/2), term by term
    SELECT run_a, judge_a, run_b, judge_b,
           sum(exp(lgamma(d + 1) - lgamma(i + 1) - lgamma(d - i + 1) - d * ln(2))) AS tail
    FROM (SELECT run_a, judge_a, run_b, judge_b, flips_to_a + flips_to_b AS d,
                 unnest(range(0, least(flips_to_a, flips_to_b) + 1)) AS i
          FROM pairs)
    GROUP BY ALL
)
SELECT run_a, judge_a, run_b, judge_b, n, rate_a, rate_b, changed, flips_to_b, flips_to_a, difference,
       difference - 1.959963984540054 * se AS ci_low,
       difference + 1.959963984540054 * se AS ci_high,
       CASE WHEN flips_to_a + flips_to_b = 0 THEN 1.0 ELSE least(1.0, 2 * t.tail) END AS mcnemar_p
FROM pairs
JOIN tails t USING (run_a, judge_a, run_b, judge_b)
ORDER BY run_a, judge_a, run_b, judge_b;
