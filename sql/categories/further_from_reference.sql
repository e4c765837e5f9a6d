-- Fine-tuned answer shares clearly fewer of the reference answer's content words than the base answer does.
-- needs: reference_answer (base wins without one are not looked at)
-- Content words: the runs of four or more letters or digits of the lower-cased text.
WITH wins AS (
    SELECT DISTINCT run_id, item_key FROM base_wins WHERE run_id = $run_id
), texts AS (
    SELECT i.item_key, i.reference_answer, i.base_answer, i.finetuned_answer
    FROM items i SEMI JOIN wins w ON w.run_id = i.run_id AND w.item_key = i.item_key
    WHERE i.run_id = $run_id AND i.reference_answer IS NOT NULL
), words AS (
    -- each distinct word of an item once, with a bit per text it occurs in (1 reference, 2 base, 4 fine-tuned)
    SELECT item_key, bit_or(src) AS seen
    FROM (SELECT item_key, 1 AS src, unnest(regexp_extract_all(lower(reference_answer), '[a-z0-9]{4,}')) AS word FROM texts
          UNION ALL
          SELECT item_key, 2, unnest(regexp_extract_all(lower(base_answer), '[a-z0-9]{4,}')) FROM texts
          UNION ALL
          SELECT item_key, 4, unnest(regexp_extract_all(lower(finetuned_answer), '[a-z0-9]{4,}')) FROM texts)
    GROUP BY item_key, word
), shares AS (
    -- of the reference's words, the share the base answer uses and the share the fine-tuned answer uses
    SELECT item_key,
           count(*) FILTER (seen & 2 = 2) / count(*) AS base_share,
           count(*) FILTER (seen & 4 = 4) / count(*) AS ft_share
    FROM words
    WHERE seen & 1 = 1
    GROUP BY item_key
)
SELECT b.run_id, b.judge, b.item_key,
       printf('covers %d %% of the reference''s content words; the base answer covers %d %%',
              round(100 * s.ft_share)::INTEGER, round(100 * s.base_share)::INTEGER) AS evidence
FROM base_wins b
JOIN shares s USING (item_key)
WHERE b.run_id = $run_id AND s.ft_share < s.base_share - 0.10;
