-- Fine-tuned answer shares clearly fewer of the reference answer's content words than the base answer does.
-- needs: reference_answer (base wins without one are not looked at)
WITH wins AS (
    SELECT DISTINCT run_id, item_key FROM base_wins WHERE run_id = $run_id
), texts AS (
    SELECT i.run_id, i.item_key, i.reference_answer, i.base_answer, i.finetuned_answer
    FROM items i SEMI JOIN wins w ON w.run_id = i.run_id AND w.item_key = i.item_key
    WHERE i.reference_answer IS NOT NULL
), tokens AS (
    SELECT DISTINCT run_id, item_key, src, word FROM (
        SELECT run_id, item_key, 'reference' AS src, unnest(regexp_split_to_array(lower(reference_answer), '[^a-z0-9]+')) AS word FROM texts
        UNION ALL
        SELECT run_id, item_key, 'base', unnest(regexp_split_to_array(lower(base_answer), '[^a-z0-9]+')) FROM texts
        UNION ALL
        SELECT run_id, item_key, 'finetuned', unnest(regexp_split_to_array(lower(finetuned_answer), '[^a-z0-9]+')) FROM texts
    ) WHERE length(word) > 3
), shares AS (
    SELECT r.run_id, r.item_key,
           count(b.word) / count(*) AS base_share,
           count(f.word) / count(*) AS ft_share
    FROM tokens r
    LEFT JOIN tokens b ON b.src = 'base' AND b.run_id = r.run_id AND b.item_key = r.item_key AND b.word = r.word
    LEFT JOIN tokens f ON f.src = 'finetuned' AND f.run_id = r.run_id AND f.item_key = r.item_key AND f.word = r.word
    WHERE r.src = 'reference'
    GROUP BY ALL
)
SELECT bw.run_id, bw.judge, bw.item_key,
       printf('covers %d %% of the reference''s content words; the base answer covers %d %%',
              round(100 * s.ft_share)::INTEGER, round(100 * s.base_share)::INTEGER) AS evidence
FROM base_wins bw
JOIN shares s ON s.run_id = bw.run_id AND s.item_key = bw.item_key
WHERE bw.run_id = $run_id AND s.ft_share < s.base_share - 0.10;
