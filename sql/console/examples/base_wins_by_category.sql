-- The base wins each failure category caught: the question, its paper and the text that matched the category's rule.
SELECT r.name AS run, c.judge, c.category, i.paper, i.question, c.evidence
FROM item_categories c
JOIN items i USING (run_id, item_key)
JOIN runs r USING (run_id)
ORDER BY run, c.judge, c.category, i.paper, i.position NULLS LAST, c.item_key;
