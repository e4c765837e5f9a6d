-- Insert staged per-model grades of a single-grading judge (a registered frame named staged_grades).
INSERT INTO grades (run_id, judge, item_key, side, model, turn, score, judgment, source_line)
SELECT $run_id, judge, item_key, side, model, turn, score, judgment, source_line
FROM staged_grades;
