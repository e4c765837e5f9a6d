-- Append a chunk of judge-log transcripts (a registered frame named chunk).
INSERT INTO staged_transcripts
SELECT seq, line, question, paper, reference_answer, base_answer, finetuned_answer FROM chunk;
