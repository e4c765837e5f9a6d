-- Fine-tuned answer stops mid-sentence: its last line is prose with no closing punctuation.
WITH tail AS (
    SELECT run_id, judge, item_key, finetuned_answer,
           -- the last line can end like prose only where the whole answer does (a cheap test most answers fail)
           CASE WHEN regexp_matches(right(rtrim(finetuned_answer), 1), '[\w,;]')
                THEN trim(regexp_extract(rtrim(finetuned_answer), '([^\n]*)$', 1)) END AS last_line
    FROM base_wins
    WHERE run_id = $run_id
)
SELECT run_id, judge, item_key, 'ends with: …' || right(last_line, 80) AS evidence
FROM tail
WHERE length(last_line) >= 40
  AND regexp_matches(last_line, '[\w,;]$')
  AND NOT regexp_matches(last_line, '@|://|^#')
  -- a citation block's title lines are not cut-off sentences
  AND NOT regexp_matches(right(finetuned_answer, 400), '(?im)^[\s*#_]*(?:sources?|references?)\s*[:*]');
