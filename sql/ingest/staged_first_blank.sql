-- The first row of the staged items CSV with an empty required field: (field, 0-based position), or no row.
SELECT CASE WHEN regexp_full_match(coalesce(question, ''), '\s*') THEN 'question'
            WHEN regexp_full_match(coalesce(paper, ''), '\s*') THEN 'paper'
            WHEN regexp_full_match(coalesce(reference_answer, ''), '\s*') THEN 'reference_answer'
            WHEN regexp_full_match(coalesce(base_answer, ''), '\s*') THEN 'base_answer'
            ELSE 'finetuned_answer' END AS field,
       position
FROM staged_csv
WHERE regexp_full_match(coalesce(question, ''), '\s*') OR regexp_full_match(coalesce(paper, ''), '\s*')
   OR regexp_full_match(coalesce(reference_answer, ''), '\s*') OR regexp_full_match(coalesce(base_answer, ''), '\s*')
   OR regexp_full_match(coalesce(finetuned_answer, ''), '\s*')
ORDER BY position
LIMIT 1;
