-- The first item an items CSV wrote ($source_id) with an empty required field or id: (field, 0-based position), or no row.
-- (Read straight from the file, insert_csv_items, or from a staged copy, insert_staged_items.)
SELECT CASE WHEN item_key = '' THEN 'id'  -- an id of spaces (an empty one is refused before: NOT NULL, staged_first_id_blank)
            WHEN regexp_full_match(coalesce(question, ''), '\s*') THEN 'question'
            WHEN regexp_full_match(coalesce(paper, ''), '\s*') THEN 'paper'
            WHEN regexp_full_match(coalesce(reference_answer, ''), '\s*') THEN 'reference_answer'
            WHEN regexp_full_match(coalesce(base_answer, ''), '\s*') THEN 'base_answer'
            ELSE 'finetuned_answer' END AS field,
       position
FROM items
WHERE run_id = $run_id AND source_id = $source_id
  AND (item_key = '' OR regexp_full_match(coalesce(question, ''), '\s*') OR regexp_full_match(coalesce(paper, ''), '\s*')
       OR regexp_full_match(coalesce(reference_answer, ''), '\s*') OR regexp_full_match(coalesce(base_answer, ''), '\s*')
       OR regexp_full_match(coalesce(finetuned_answer, ''), '\s*'))
ORDER BY position
LIMIT 1;
