-- Per source paper, per run and judge: outcome counts, and the fine-tuned win rate with its 95 % Wilson interval
-- only when every verdict of the run's judge is attributed to an item (otherwise the rate is NULL and rate_note says why).
-- Verdicts whose item is unknown are listed as the paper '(source unknown)'.
WITH judged AS (
    SELECT v.run_id, v.judge, coalesce(i.paper, '(source unknown)') AS paper, v.winner,
           v.item_key IS NULL AS unknown
    FROM verdicts v
    LEFT JOIN items i ON i.run_id = v.run_id AND i.item_key = v.item_key
), per_judge AS (
    SELECT run_id, judge, count(*) FILTER (unknown) AS unattributed FROM judged GROUP BY ALL
), papers AS (
    SELECT run_id, judge, paper, bool_or(unknown) AS is_unknown,
           count(*) AS judged,
           count(*) FILTER (winner = 'base') AS base_wins,
           count(*) FILTER (winner = 'finetuned') AS finetuned_wins,
           count(*) FILTER (winner = 'tie') AS ties,
           count(*) FILTER (winner = 'invalid') AS invalid
    FROM judged GROUP BY ALL
), items_per_paper AS (
    SELECT i.run_id, j.judge, i.paper, count(*) AS items,
           count(*) FILTER (v.item_key IS NULL) AS unjudged
    FROM items i
    CROSS JOIN (SELECT DISTINCT run_id, judge FROM verdicts) j
    LEFT JOIN verdicts v ON v.run_id = i.run_id AND v.judge = j.judge AND v.item_key = i.item_key
    WHERE j.run_id = i.run_id
    GROUP BY ALL
)
SELECT r.name AS run, p.judge, p.paper, p.is_unknown,
       coalesce(ip.items, 0) AS items_with_text,
       p.judged, p.base_wins, p.finetuned_wins, p.ties, p.invalid,
       coalesce(ip.unjudged, 0) AS unjudged_with_text,
       p.base_wins + p.finetuned_wins + p.ties AS n,
       (p.base_wins + p.finetuned_wins + p.ties) < 10 AS few_items,
       CASE WHEN pj.unattributed = 0 AND NOT p.is_unknown
            THEN p.finetuned_wins / nullif(p.base_wins + p.finetuned_wins + p.ties, 0) END AS finetuned_win_rate,
       CASE WHEN pj.unattributed = 0 AND NOT p.is_unknown
            THEN wilson_low(p.finetuned_wins, p.base_wins + p.finetuned_wins + p.ties) END AS ci_low,
       CASE WHEN pj.unattributed = 0 AND NOT p.is_unknown
            THEN wilson_high(p.finetuned_wins, p.base_wins + p.finetuned_wins + p.ties) END AS ci_high,
       CASE WHEN p.is_unknown THEN 'verdicts whose question is not in the data'
            WHEN pj.unattributed > 0
            THEN printf('%d verdicts of this judge have no known paper, so a per-paper rate would be biased', pj.unattributed)
       END AS rate_note
FROM papers p
JOIN per_judge pj USING (run_id, judge)
JOIN runs r USING (run_id)
LEFT JOIN items_per_paper ip USING (run_id, judge, paper)
ORDER BY r.name, p.judge, p.is_unknown, finetuned_win_rate NULLS LAST, p.base_wins DESC, p.paper;
