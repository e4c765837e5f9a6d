-- Insert staged verdicts (a registered frame named staged_verdicts) into a run.
INSERT INTO verdicts (run_id, judge, seq, item_key, winner, confidence, p_finetuned, rationale, matched_by,
                      source_id, source_line)
SELECT $run_id, judge, seq, item_key, winner, confidence, p_finetuned, rationale, matched_by, $source_id, source_line
FROM staged_verdicts;
