-- Headline numbers per run and judge: counts of every outcome and the fine-tuned win rate with its 95 % Wilson interval.
-- The rate counts a tie as half a win (FastChat's win_rate_adjusted, AlpacaEval's discrete win rate, Arena-Hard):
-- (fine-tuned wins + ties / 2) / (base + fine-tuned + ties); invalid verdicts are left out of n. strict_win_rate
-- counts ties as losses. Where verdicts carry P(fine-tuned better): its mean and standard error (AlpacaEval's
-- win_rate and standard_error). Where orders carry graded outcomes: the Arena-Hard score over weighted battles.
-- earlier_verdicts: of reportgen's judge, the verdicts made with an earlier model, template or parameters (a
-- partial --rejudge after a change keeps the items it did not select; judges.parameters' identity_since_seq).
-- The counts come from summary_judges (sql/store/refresh_summaries.sql keeps them current).
WITH earlier AS (
    -- the judges' parameters read once each; only judges with such verdicts reach the verdicts
    SELECT v.run_id, v.judge, count(*) AS earlier_verdicts
    FROM (SELECT run_id, judge, TRY_CAST(json_extract_string(parameters, '$.identity_since_seq') AS BIGINT) AS since
          FROM judges) j
    JOIN verdicts v ON v.run_id = j.run_id AND v.judge = j.judge AND v.seq < j.since
    WHERE j.since > 0
    GROUP BY ALL
), item_counts AS (
    SELECT run_id, sum(items)::BIGINT AS items_with_text FROM summary_paper_items GROUP BY ALL
), c AS (
    -- n and the half-counted wins k once, so the interval macros expand over two columns
    SELECT s.*, s.base_wins + s.finetuned_wins + s.ties AS n, s.finetuned_wins + 0.5 * s.ties AS k
    FROM summary_judges s
)
SELECT r.name AS run, c.judge, r.synthetic,
       greatest(coalesce(r.declared_items, 0), coalesce(i.items_with_text, 0)) AS items,
       coalesce(i.items_with_text, 0) AS items_with_text,
       c.judged, c.base_wins, c.finetuned_wins, c.ties, c.invalid,
       greatest(greatest(coalesce(r.declared_items, 0), coalesce(i.items_with_text, 0)) - c.judged, 0) AS unjudged,
       -- of the unjudged, those whose text is in the database (a judge could still see them)
       greatest(coalesce(i.items_with_text, 0) - c.judged_with_text, 0) AS unjudged_with_text,
       c.source_unknown,
       c.n,
       c.k / nullif(c.n, 0) AS finetuned_win_rate,
       wilson_low(c.k, c.n) AS ci_low,
       wilson_high(c.k, c.n) AS ci_high,
       c.finetuned_wins / nullif(c.n, 0) AS strict_win_rate,
       wilson_low(c.finetuned_wins, c.n) AS strict_ci_low,
       wilson_high(c.finetuned_wins, c.n) AS strict_ci_high,
       c.p_n, c.p_mean, c.p_se,
       CASE WHEN c.p_se IS NOT NULL THEN greatest(c.p_mean - 1.959963984540054 * c.p_se, 0) END AS p_ci_low,
       CASE WHEN c.p_se IS NOT NULL THEN least(c.p_mean + 1.959963984540054 * c.p_se, 1) END AS p_ci_high,
       c.battles, c.arena_score,
       coalesce(r.base_model, 'base') AS base_model, coalesce(r.finetuned_model, 'fine-tuned') AS finetuned_model,
       coalesce(r.group_label, 'paper') AS group_label,
       c.mean_confidence,
       coalesce(e.earlier_verdicts, 0) AS earlier_verdicts
FROM c
JOIN runs r USING (run_id)
LEFT JOIN item_counts i USING (run_id)
LEFT JOIN earlier e ON e.run_id = c.run_id AND e.judge = c.judge
ORDER BY r.name, c.judge;
