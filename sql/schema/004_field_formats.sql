-- The field's judge outputs (AlpacaEval, Arena-Hard-Auto, MT-bench): model names, the items' group label, optional reference and answers, P(fine-tuned better) per verdict, graded per-game outcomes.
ALTER TABLE runs ADD COLUMN base_model VARCHAR;        -- the base/baseline model as the data names it (NULL: "base")
ALTER TABLE runs ADD COLUMN finetuned_model VARCHAR;   -- the other model (NULL: "fine-tuned")
ALTER TABLE runs ADD COLUMN group_label VARCHAR;       -- what items.paper holds: paper (NULL), dataset, cluster, category
ALTER TABLE items ALTER COLUMN reference_answer DROP NOT NULL;
ALTER TABLE items ALTER COLUMN base_answer DROP NOT NULL;
ALTER TABLE items ALTER COLUMN finetuned_answer DROP NOT NULL;
-- P(the fine-tuned answer is better), when the judge gives a probability (AlpacaEval's preference - 1, the local judge's letters)
ALTER TABLE verdicts ADD COLUMN p_finetuned DOUBLE;
-- Per order (game) of a two-order judge: its own outcome, how many battles it counts for (Arena-Hard: 3 for A>>B),
-- the judge's label as written ('A>>B', 'model_1', ...) and its text
ALTER TABLE judge_orders ADD COLUMN outcome VARCHAR;
ALTER TABLE judge_orders ADD COLUMN weight TINYINT;
ALTER TABLE judge_orders ADD COLUMN label VARCHAR;
ALTER TABLE judge_orders ADD COLUMN rationale VARCHAR;
-- The local judge's verdicts: P(fine-tuned better) is the mean over its two orders
UPDATE verdicts v SET p_finetuned = o.p
FROM (SELECT run_id, judge, item_key,
             avg(CASE first_answer WHEN 'finetuned' THEN p_first ELSE 1 - p_first END) AS p
      FROM judge_orders WHERE p_first IS NOT NULL GROUP BY ALL) o
WHERE v.run_id = o.run_id AND v.judge = o.judge AND v.item_key = o.item_key;
-- Base wins with both answers (what failure categories can look at); a reference may be missing.
CREATE OR REPLACE VIEW base_wins AS
SELECT v.run_id, v.judge, v.seq, v.confidence, v.rationale, i.*
       EXCLUDE (run_id)
FROM verdicts v
JOIN items i ON i.run_id = v.run_id AND i.item_key = v.item_key
WHERE v.winner = 'base' AND i.base_answer IS NOT NULL AND i.finetuned_answer IS NOT NULL;
