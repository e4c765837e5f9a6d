-- Per source paper (the item's group), per run and judge: outcome counts, and the fine-tuned win rate (a tie counts half) with its 95 % Wilson interval
-- only when every verdict of the run's judge is attributed to an item (otherwise the rate is NULL and rate_note says why).
-- Verdicts whose item is unknown are listed as the paper '(source unknown)'. Counts come from summary_papers.
WITH per_judge AS (
    SELECT run_id, judge, coalesce(sum(judged) FILTER (is_unknown), 0) AS unattributed FROM summary_papers GROUP BY ALL
)
SELECT r.name AS run, p.judge, p.paper, p.is_unknown,
       coalesce(ip.items, 0) AS items_with_text,
       p.judged, p.base_wins, p.finetuned_wins, p.ties, p.invalid,
       CASE WHEN p.is_unknown THEN 0 ELSE greatest(coalesce(ip.items, 0) - p.judged, 0) END AS unjudged_with_text,
       p.base_wins + p.finetuned_wins + p.ties AS n,
       -- "few items" qualifies a rate; where the rate is withheld there is nothing to qualify
       pj.unattributed = 0 AND NOT p.is_unknown AND (p.base_wins + p.finetuned_wins + p.ties) < 10 AS few_items,
       CASE WHEN pj.unattributed = 0 AND NOT p.is_unknown
            THEN (p.finetuned_wins + 0.5 * p.ties) / nullif(p.base_wins + p.finetuned_wins + p.ties, 0) END AS finetuned_win_rate,
       CASE WHEN pj.unattributed = 0 AND NOT p.is_unknown
            THEN wilson_low(p.finetuned_wins + 0.5 * p.ties, p.base_wins + p.finetuned_wins + p.ties) END AS ci_low,
       CASE WHEN pj.unattributed = 0 AND NOT p.is_unknown
            THEN wilson_high(p.finetuned_wins + 0.5 * p.ties, p.base_wins + p.finetuned_wins + p.ties) END AS ci_high,
       CASE WHEN p.is_unknown THEN 'verdicts whose question is not in the data'
            WHEN pj.unattributed > 0
            THEN printf('%d verdicts of this judge have no known paper, so a per-paper rate would be biased', pj.unattributed)
       END AS rate_note
FROM summary_papers p
JOIN per_judge pj USING (run_id, judge)
JOIN runs r USING (run_id)
LEFT JOIN summary_paper_items ip ON ip.run_id = p.run_id AND ip.paper = p.paper AND NOT p.is_unknown
ORDER BY r.name, p.judge, p.is_unknown, finetuned_win_rate NULLS LAST, p.base_wins DESC, p.paper;
