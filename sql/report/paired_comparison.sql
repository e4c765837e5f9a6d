-- Paired comparison of every two (run, judge) verdict sets over their common items (two checkpoints, or two judges of one run).
-- Items are paired by key where the question is the same in both runs (or unknown in either); differing_questions
-- counts the shared keys left out because their questions differ. An item scores 1 for a fine-tuned win, 1/2 for a
-- tie, 0 for a base win; pairs with an invalid verdict in either run are left out and counted in invalid_pairs.
-- difference = mean score of b minus a, with Newcombe's hybrid score interval for paired proportions (1998, method
-- 10; a tie is split into two half-weight items, one won and one lost, coupled comonotonically);
-- flips_to_b: items b wins (fine-tuned) that a did not; flips_to_a the reverse; items_up / items_down: items whose
-- score is higher / lower in b; sign_test_p is the exact two-sided sign test on those (binomial, p = 1/2; with no
-- ties, the exact McNemar test). Computed into summary_paired by sql/store/refresh_summaries.sql.
SELECT ra.name AS run_a, p.judge_a, rb.name AS run_b, p.judge_b, p.n, p.rate_a, p.rate_b, p.changed,
       p.flips_to_b, p.flips_to_a, p.items_up, p.items_down, p.difference, p.ci_low, p.ci_high,
       p.sign_test_p, p.invalid_pairs, p.differing_questions
FROM summary_paired p
JOIN runs ra ON ra.run_id = p.run_a
JOIN runs rb ON rb.run_id = p.run_b
ORDER BY run_a, judge_a, run_b, judge_b;
