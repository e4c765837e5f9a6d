-- Headline numbers per run and judge: counts of every outcome and the fine-tuned win rate with its 95 % Wilson interval.
-- The rate is fine-tuned wins / (base + fine-tuned + ties): ties count against, invalid verdicts are left out of n.
WITH counts AS (
    SELECT v.run_id, v.judge,
           count(*) AS judged,
           count(*) FILTER (v.winner = 'base') AS base_wins,
           count(*) FILTER (v.winner = 'finetuned') AS finetuned_wins,
           count(*) FILTER (v.winner = 'tie') AS ties,
           count(*) FILTER (v.winner = 'invalid') AS invalid,
           count(*) FILTER (v.item_key IS NULL) AS source_unknown,
           count(v.item_key) AS judged_with_text,    -- one verdict per item and judge (ingest and judge enforce it)
           avg(v.confidence) AS mean_confidence
    FROM verdicts v
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
       c.finetuned_wins / nullif(c.base_wins + c.finetuned_wins + c.ties, 0) AS finetuned_win_rate,
       wilson_low(c.finetuned_wins, c.base_wins + c.finetuned_wins + c.ties) AS ci_low,
       wilson_high(c.finetuned_wins, c.base_wins + c.finetuned_wins + c.ties) AS ci_high,
       c.mean_confidence
FROM counts c
JOIN runs r USING (run_id)
LEFT JOIN item_counts i USING (run_id)
ORDER BY r.name, c.judge;
