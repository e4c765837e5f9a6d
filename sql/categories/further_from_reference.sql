-- Fine-tuned answer shares clearly fewer of the reference answer's content words than the base answer does.
WITH words AS (
    SELECT run_id, judge, item_key,
           list_distinct(list_filter(regexp_split_to_array(lower(reference_answer), '[^a-z0-9]+'), lambda w: length(w) > 3)) AS ref,
           list_distinct(list_filter(regexp_split_to_array(lower(base_answer), '[^a-z0-9]+'), lambda w: length(w) > 3)) AS base,
           list_distinct(list_filter(regexp_split_to_array(lower(finetuned_answer), '[^a-z0-9]+'), lambda w: length(w) > 3)) AS ft
    FROM base_wins
), overlap AS (
    SELECT run_id, judge, item_key,
           length(list_intersect(ft, ref)) / greatest(length(ref), 1) AS ft_share,
           length(list_intersect(base, ref)) / greatest(length(ref), 1) AS base_share
    FROM words
)
SELECT run_id, judge, item_key,
       printf('covers %d %% of the reference''s content words; the base answer covers %d %%',
              round(100 * ft_share)::INTEGER, round(100 * base_share)::INTEGER) AS evidence
FROM overlap
WHERE ft_share < base_share - 0.10;
