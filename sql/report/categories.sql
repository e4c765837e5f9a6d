-- Failure categories per run and judge: how many base wins each category matches, and their share of all base wins with text
-- (with its 95 % Wilson interval).
-- base_wins_with_reference: of those, the ones with a reference answer (all that a category marked "needs: reference_answer" looks at).
-- Counts come from summary_categories and summary_judges.
WITH hits AS (
    SELECT run_id, judge, category, sum(hits)::BIGINT AS hits FROM summary_categories GROUP BY ALL
)
SELECT r.name AS run, h.judge, h.category, h.hits, w.base_wins_with_text, w.base_wins_with_reference,
       h.hits / w.base_wins_with_text AS share,
       wilson_low(h.hits, w.base_wins_with_text) AS ci_low, wilson_high(h.hits, w.base_wins_with_text) AS ci_high
FROM hits h
JOIN summary_judges w USING (run_id, judge)
JOIN runs r USING (run_id)
ORDER BY r.name, h.judge, h.hits DESC, h.category;
