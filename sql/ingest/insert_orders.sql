-- Insert staged per-order (per-game) outcomes of an imported two-order judge (a registered frame named staged_orders).
INSERT INTO judge_orders (run_id, judge, item_key, ord, first_answer, p_first, outcome, weight, label, rationale)
SELECT $run_id, judge, item_key, ord, first_answer, p_first, outcome, weight, label, rationale
FROM staged_orders;
