-- Every base-win transcript with its text, verdict and failure categories, per run and judge, by paper then position.
SELECT r.name AS run, b.judge, b.item_key, b.seq, b.paper, b.question, b.reference_answer, b.base_answer,
       b.finetuned_answer, b.confidence, b.rationale, b.position,
       coalesce(list(c.category ORDER BY c.category) FILTER (c.category IS NOT NULL), []) AS categories,
       coalesce(list(c.evidence ORDER BY c.category) FILTER (c.category IS NOT NULL), []) AS evidence
FROM base_wins b
JOIN runs r USING (run_id)
LEFT JOIN item_categories c USING (run_id, judge, item_key)
GROUP BY ALL
ORDER BY r.name, b.judge, b.paper, b.position NULLS LAST, b.seq;
