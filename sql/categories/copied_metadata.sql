-- Fine-tuned answer carries paper metadata: e-mail addresses, URLs, affiliations, author markers or reference-list lines.
WITH found AS (
    SELECT run_id, judge, item_key,
           -- one pass that any of the six patterns needs first (most answers match none), then the first that matches
           CASE WHEN regexp_matches(finetuned_answer,
                    '[\w.+-]+@[\w-]+\.[\w.-]+|https?://\S+'
                    || '|\b(?:University|Universit[éà]|Institute|College|Inria|Laborator(?:y|ies)|Department of)\b'
                    || '|\w\[\d\]|(?m:^\s*(?:\[\d+\]|[-*]\s+[A-Z][\w-]+,\s+[A-Z]\.))|\barXiv(?: preprint)?:?\s*\d{4}\.\d{4,5}')
           THEN coalesce(
               nullif(regexp_extract(finetuned_answer, '[\w.+-]+@[\w-]+\.[\w.-]+'), ''),
               nullif(regexp_extract(finetuned_answer, 'https?://\S+'), ''),
               nullif(regexp_extract(finetuned_answer,
                   '[^\n]*\b(?:University|Universit[éà]|Institute|College|Inria|Laborator(?:y|ies)|Department of)\b[^\n]*'), ''),
               nullif(regexp_extract(finetuned_answer, '[^\n]*\w\[\d\][^\n]*'), ''),
               nullif(regexp_extract(finetuned_answer, '(?m)^\s*(?:\[\d+\]|[-*]\s+[A-Z][\w-]+,\s+[A-Z]\.)[^\n]*'), ''),
               nullif(regexp_extract(finetuned_answer, '[^\n]*\barXiv(?: preprint)?:?\s*\d{4}\.\d{4,5}[^\n]*'), '')
           ) END AS snippet
    FROM base_wins
    WHERE run_id = $run_id
)
SELECT run_id, judge, item_key, left(trim(regexp_replace(snippet, '\s+', ' ', 'g')), 120) AS evidence
FROM found
WHERE snippet IS NOT NULL;
