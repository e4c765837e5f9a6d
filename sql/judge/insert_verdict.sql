-- Store one combined verdict of the local or endpoint judge.
INSERT INTO verdicts (run_id, judge, seq, item_key, winner, confidence, rationale, matched_by, source_id, source_line)
VALUES ($run_id, $judge, $seq, $item_key, $winner, $confidence, $rationale, 'key', NULL, NULL);
