-- Headline numbers per run and judge: counts of every outcome and the fine-tuned win rate with its 95 % Wilson interval.
-- The rate counts a tie as half a win (FastChat's win_rate_adjusted, AlpacaEval's discrete win rate, Arena-Hard):
-- (fine-tuned wins + ties / 2) / (base + fine-tuned + ties); invalid verdicts are left out of n. strict_win_rate
-- counts ties as losses. Where verdicts carry P(fine-tuned better): its mean and standard error (AlpacaEval's
-- win_rate and standard_error). Where orders carry graded outcomes: the Arena-Hard score over weighted battles.
WITH counts AS (
    SELECT v.run_id, v.judge,
           count(*) AS judged,
           count(*) FILTER (v.winner = 'base') AS base_wins,
           count(*) FILTER (v.winner = 'finetuned') AS finetuned_wins,
           count(*) FILTER (v.winner = 'tie') AS ties,
           count(*) FILTER (v.winner = 'invalid') AS invalid,
           count(*) FILTER (v.item_key IS NULL) AS source_unknown,
           count(v.item_key) AS judged_with_text,    -- one verdict per item and judge (ingest and judge enforce it)
           avg(v.confidence) AS mean_confidence,
           count(v.p_finetuned) AS p_n,
           avg(v.p_finetuned) AS p_mean,
           stddev_samp(v.p_finetuned) / sqrt(count(v.p_finetuned)) AS p_se
    FROM verdicts v
    GROUP BY ALL
), battles AS (
    -- graded two-game judges (Arena-Hard): a game counts its weight in battles; ties half
    SELECT run_id, judge, sum(weight) AS battles,
           (sum(weight) FILTER (outcome = 'finetuned') + 0.5 * coalesce(sum(weight) FILTER (outcome = 'tie'), 0))
               / sum(weight) AS score
    FROM judge_orders
    WHERE weight IS NOT NULL AND label IN ('A>>B', 'A>B', 'A=B', 'B>A', 'B>>A')
    GROUP BY ALL
), item_counts AS (
    SELECT run_id, count(*) AS items_with_text FROM items GROUP BY ALL
)
SELECT r.name AS run, c.judge, r.synthetic,
       greatest(coalesce(r.declared_items, 0), coalesce(i.items_with_text, 0)) AS items,
       coalesce(i.items_with_text, 0) AS items_with_text,
       c.judged, c.base_wins, c.finetuned_wins, c.ties, c.invalid,
       greatest(greatest(coalesce(r.declared_items, 0), coalesce(i.items_with_text, 0)) - c.judged, 0) AS unjudged,
       -- of the unjudged, those whose text is in the database (a judge could still see them)
       greatest(coalesce(i.items_with_text, 0) - c.judged_with_text, 0) AS unjudged_with_text,
       c.source_unknown,
       c.base_wins + c.finetuned_wins + c.ties AS n,
       (c.finetuned_wins + 0.5 * c.ties) / nullif(c.base_wins + c.finetuned_wins + c.ties, 0) AS finetuned_win_rate,
       wilson_low(c.finetuned_wins + 0.5 * c.ties, c.base_wins + c.finetuned_wins + c.ties) AS ci_low,
       wilson_high(c.finetuned_wins + 0.5 * c.ties, c.base_wins + c.finetuned_wins + c.ties) AS ci_high,
       c.finetuned_wins / nullif(c.base_wins + c.finetuned_wins + c.ties, 0) AS strict_win_rate,
       wilson_low(c.finetuned_wins, c.base_wins + c.finetuned_wins + c.ties) AS strict_ci_low,
       wilson_high(c.finetuned_wins, c.base_wins + c.finetuned_wins + c.ties) AS strict_ci_high,
       c.p_n, c.p_mean, c.p_se,
       greatest(c.p_mean - 1.959963984540054 * c.p_se, 0) AS p_ci_low,
       least(c.p_mean + 1.959963984540054 * c.p_se, 1) AS p_ci_high,
       b.battles, b.score AS arena_score,
       coalesce(r.base_model, 'base') AS base_model, coalesce(r.finetuned_model, 'fine-tuned') AS finetuned_model,
       coalesce(r.group_label, 'paper') AS group_label,
       c.mean_confidence
FROM counts c
JOIN runs r USING (run_id)
LEFT JOIN item_counts i USING (run_id)
LEFT JOIN battles b ON b.run_id = c.run_id AND b.judge = c.judge
ORDER BY r.name, c.judge;
