-- Every verdict on an item with known text, per run, item and judge: what each judge said about a transcript's question.
SELECT r.name AS run, v.item_key, v.judge, v.winner, v.confidence, v.rationale
FROM verdicts v
JOIN runs r USING (run_id)
WHERE v.item_key IS NOT NULL
ORDER BY r.name, v.item_key, v.judge, v.seq;
