-- The rows of report/transcripts for $run (NULL: every run) whose item key is in $keys (NULL: every one), by their
-- part of data/transcripts/ ($parts parts, site/transcript_parts) and in the report's order in each, without their
-- text: with the row ids of each base win's item and verdict instead, by which site/transcript_item_text and
-- site/transcript_verdict_text read the text a batch at a time. (A rebuild knows the keys of the parts it writes
-- again: the join on them costs a fifth of computing every key's part.)
-- (The parts are written this way because sorting every transcript's text takes memory DuckDB cannot spill to
-- disk.) The rows are the base_wins view's: base wins whose item has both answers.
WITH cats AS (
    SELECT run_id, judge, item_key, list(category ORDER BY category) AS categories,
           list(evidence ORDER BY category) AS evidence
    FROM item_categories
    WHERE $keys IS NULL OR item_key IN (SELECT unnest($keys))
    GROUP BY ALL
)
SELECT CAST(md5_number(v.item_key) & 255 AS INTEGER) % $parts AS part,
       r.name AS run, v.judge, v.item_key, v.seq, i.paper, v.confidence, i.position,
       coalesce(c.categories, []) AS categories, coalesce(c.evidence, []) AS evidence,
       i.rowid AS item_row, v.rowid AS verdict_row
FROM verdicts v
JOIN items i ON i.run_id = v.run_id AND i.item_key = v.item_key
JOIN runs r ON r.run_id = v.run_id
LEFT JOIN cats c ON c.run_id = v.run_id AND c.judge = v.judge AND c.item_key = v.item_key
WHERE v.winner = 'base' AND i.base_answer IS NOT NULL AND i.finetuned_answer IS NOT NULL
  AND ($run IS NULL OR r.name = $run) AND ($keys IS NULL OR v.item_key IN (SELECT unnest($keys)))
ORDER BY part, r.name, v.judge, i.paper, i.position NULLS LAST, v.seq;
