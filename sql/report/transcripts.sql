-- Every base-win transcript with its text, verdict and failure categories, per run and judge, by paper then position.
-- (The categories are listed per verdict before the join: grouping the transcripts' text itself would hash all of it.)
WITH cats AS (
    SELECT run_id, judge, item_key, list(category ORDER BY category) AS categories,
           list(evidence ORDER BY category) AS evidence
    FROM item_categories
    GROUP BY ALL
)
SELECT r.name AS run, b.judge, b.item_key, b.seq, b.paper, b.question, b.reference_answer, b.base_answer,
       b.finetuned_answer, b.confidence, b.rationale, b.position,
       coalesce(c.categories, []) AS categories, coalesce(c.evidence, []) AS evidence
FROM base_wins b
JOIN runs r USING (run_id)
LEFT JOIN cats c USING (run_id, judge, item_key)
ORDER BY r.name, b.judge, b.paper, b.position NULLS LAST, b.seq;
