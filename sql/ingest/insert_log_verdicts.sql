-- Write the staged log verdicts: item from the transcript, else by position when $positional, else unknown; then drop the staging.
INSERT INTO verdicts (run_id, judge, seq, item_key, winner, confidence, rationale, matched_by, source_id, source_line)
SELECT $run_id, $judge, v.seq,
       coalesce(m.item_key, p.item_key),
       v.winner, NULL, NULL,
       CASE WHEN m.item_key IS NOT NULL THEN 'transcript' WHEN p.item_key IS NOT NULL THEN 'position' ELSE 'unmatched' END,
       $source_id, v.line
FROM staged_log_verdicts v
LEFT JOIN transcript_match m ON m.seq = v.seq
LEFT JOIN items p ON $positional AND p.run_id = $run_id AND p.position = v.seq
ORDER BY v.seq;
DROP TABLE transcript_match;
DROP TABLE staged_transcripts;
DROP TABLE staged_log_verdicts;
