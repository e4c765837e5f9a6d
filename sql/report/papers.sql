-- Per source paper (the item's group), per run and judge: outcome counts, and the fine-tuned win rate (a tie counts half) with its 95 % Wilson interval
-- only when every verdict of the run's judge is attributed to an item (otherwise the rate is NULL and rate_note says why).
-- Every paper with items is listed for every judge of its run, one the judge never judged too (judged 0, its items
-- unjudged), so the papers' unjudged counts add up to the run's; n_note says why a paper has no rate of its own.
-- Verdicts whose item is unknown are listed as the paper '(source unknown)'. Counts come from summary_papers.
WITH per_judge AS (
    SELECT run_id, judge, coalesce(sum(judged) FILTER (is_unknown), 0) AS unattributed FROM summary_papers GROUP BY ALL
), all_papers AS (
    SELECT * FROM summary_papers
    UNION ALL
    -- the papers a judge of the run has no verdict on
    SELECT ip.run_id, j.judge, ip.paper, false, 0, 0, 0, 0, 0
    FROM summary_judges j
    JOIN summary_paper_items ip USING (run_id)
    ANTI JOIN summary_papers s ON s.run_id = ip.run_id AND s.judge = j.judge AND s.paper = ip.paper AND NOT s.is_unknown
), p AS (
    -- n, the half-counted wins k and whether a rate is shown, once, so the interval macros expand over columns
    SELECT s.*, pj.unattributed, s.base_wins + s.finetuned_wins + s.ties AS n, s.finetuned_wins + 0.5 * s.ties AS k,
           pj.unattributed = 0 AND NOT s.is_unknown AS rated
    FROM all_papers s
    JOIN per_judge pj USING (run_id, judge)
)
SELECT r.name AS run, p.judge, p.paper, p.is_unknown,
       coalesce(ip.items, 0) AS items_with_text,
       p.judged, p.base_wins, p.finetuned_wins, p.ties, p.invalid,
       CASE WHEN p.is_unknown THEN 0 ELSE greatest(coalesce(ip.items, 0) - p.judged, 0) END AS unjudged_with_text,
       p.n,
       -- "few items" qualifies a rate; where the rate is withheld there is nothing to qualify
       p.rated AND p.n BETWEEN 1 AND 9 AS few_items,
       CASE WHEN p.rated THEN p.k / nullif(p.n, 0) END AS finetuned_win_rate,
       CASE WHEN p.rated THEN wilson_low(p.k, p.n) END AS ci_low,
       CASE WHEN p.rated THEN wilson_high(p.k, p.n) END AS ci_high,
       CASE WHEN p.is_unknown THEN 'verdicts whose question is not in the data'
            WHEN p.unattributed > 0
            THEN printf('%d verdicts of this judge have no known paper, so a per-paper rate would be biased', p.unattributed)
       END AS rate_note,
       CASE WHEN p.n = 0 AND NOT p.is_unknown THEN CASE WHEN p.judged > 0 THEN 'no valid verdicts' ELSE 'not judged' END
       END AS n_note
FROM p
JOIN runs r USING (run_id)
LEFT JOIN summary_paper_items ip ON ip.run_id = p.run_id AND ip.paper = p.paper AND NOT p.is_unknown
ORDER BY r.name, p.judge, p.is_unknown, finetuned_win_rate NULLS LAST, p.base_wins DESC, p.paper;
