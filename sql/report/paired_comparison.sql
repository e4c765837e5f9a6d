-- Paired comparison of every two (run, judge) verdict sets over their common items (two checkpoints, or two judges of one run).
-- An item scores 1 for a fine-tuned win, 1/2 for a tie, 0 for a base win; invalid verdicts leave the pair out.
-- difference = mean score of b minus a, with a 95 % normal interval on the per-item differences, within [-1, 1]
-- (none for a single item);
-- flips_to_b: items b wins (fine-tuned) that a did not; flips_to_a the reverse; mcnemar_p is the exact two-sided
-- McNemar test on those discordant items (binomial, p = 1/2). Computed into summary_paired by sql/store/refresh_summaries.sql.
SELECT ra.name AS run_a, p.judge_a, rb.name AS run_b, p.judge_b, p.n, p.rate_a, p.rate_b, p.changed,
       p.flips_to_b, p.flips_to_a, p.difference,
       CASE WHEN p.se IS NOT NULL THEN greatest(p.difference - 1.959963984540054 * p.se, -1) END AS ci_low,
       CASE WHEN p.se IS NOT NULL THEN least(p.difference + 1.959963984540054 * p.se, 1) END AS ci_high,
       p.mcnemar_p
FROM summary_paired p
JOIN runs ra ON ra.run_id = p.run_a
JOIN runs rb ON rb.run_id = p.run_b
ORDER BY run_a, judge_a, run_b, judge_b;
