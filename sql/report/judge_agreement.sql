-- Agreement of every two judges of a run on the items both judged validly: share of identical winners (ties count as a
-- winner) with its 95 % Wilson interval; invalid_pairs counts the common items where either verdict is invalid (left
-- out of the agreement and of the split of disagreements).
-- unattributed_a/_b count verdicts without a known item: when a judge has them, the common items are not a random sample of its verdicts.
-- Counts come from summary_judge_pairs and summary_judges.
SELECT r.name AS run, p.judge_a, p.judge_b,
       p.common_items,
       p.common_items - p.invalid_pairs AS valid_items,
       p.agree,
       p.agree / nullif(p.common_items - p.invalid_pairs, 0) AS agreement_rate,
       wilson_low(p.agree, p.common_items - p.invalid_pairs) AS ci_low,
       wilson_high(p.agree, p.common_items - p.invalid_pairs) AS ci_high,
       p.a_base_b_finetuned,
       p.a_finetuned_b_base,
       p.one_tie,
       p.invalid_pairs,
       ua.source_unknown AS unattributed_a,
       ub.source_unknown AS unattributed_b
FROM summary_judge_pairs p
JOIN runs r USING (run_id)
JOIN summary_judges ua ON ua.run_id = p.run_id AND ua.judge = p.judge_a
JOIN summary_judges ub ON ub.run_id = p.run_id AND ub.judge = p.judge_b
ORDER BY run, judge_a, judge_b;
