-- Fine-tuned answer closes with a "Source:" citation, a habit copied from its training pairs.
SELECT run_id, judge, item_key,
       'cites: ' || left(trim(regexp_replace(
           regexp_extract(finetuned_answer, '(?ims)^[\s*#_]*sources?\s*[:*]+[\s*]*(.*)$', 1),
           '\s+', ' ', 'g')), 120) AS evidence
FROM base_wins
WHERE run_id = $run_id AND regexp_matches(finetuned_answer, '(?im)^[\s*#_]*sources?\s*[:*]');
