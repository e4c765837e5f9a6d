-- Query benchmark data: one run of $n items over $papers papers, an imported-log-like judge with every verdict attributed, a second judge, and category hits for base wins.
INSERT INTO runs (name, declared_items) VALUES ('bench', $n);
INSERT INTO sources (run_id, source_id, path, format, sha256, bytes, summary)
VALUES (1, 1, 'bench', 'items-csv', 'x', 0, 'synthetic');
INSERT INTO items (run_id, item_key, position, question, paper, reference_answer, base_answer, finetuned_answer,
                   source_id, source_line)
SELECT 1, 'i' || i, i::INTEGER, 'question ' || i, 'Paper ' || (hash(i) % $papers),
       'reference answer ' || i, 'base answer ' || i, 'fine-tuned answer ' || i, 1, NULL
FROM range($n) t(i);
INSERT INTO verdicts (run_id, judge, seq, item_key, winner, confidence, rationale, matched_by, source_id, source_line)
SELECT 1, judge, i::INTEGER, 'i' || i,
       CASE WHEN r < 0.33 THEN 'base' WHEN r < 0.96 THEN 'finetuned' WHEN r < 0.99 THEN 'tie' ELSE 'invalid' END,
       NULL, NULL, 'key', 1, NULL
FROM (SELECT i, judge, (hash(i || judge) % 10000) / 10000.0 AS r
      FROM range($n) t(i), (VALUES ('judge-a'), ('judge-b')) j(judge));
INSERT INTO item_categories (run_id, judge, item_key, category, evidence)
SELECT v.run_id, v.judge, v.item_key, c.category, 'evidence'
FROM verdicts v, (VALUES ('shorter_answer'), ('source_citation'), ('copied_metadata')) c(category)
WHERE v.winner = 'base' AND hash(v.item_key || c.category) % 3 = 0;
