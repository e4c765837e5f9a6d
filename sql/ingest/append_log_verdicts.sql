-- Append a chunk of judge-log verdicts (a registered frame named chunk).
INSERT INTO staged_log_verdicts SELECT seq, winner, line FROM chunk;
