-- Add the transcripts that matched no item as items of the run, from the log's own text.
INSERT INTO items (run_id, item_key, position, question, paper, reference_answer, base_answer, finetuned_answer,
                   source_id, source_line)
SELECT $run_id, m.item_key, NULL, s.question, s.paper, s.reference_answer, s.base_answer, s.finetuned_answer,
       $source_id, s.line
FROM staged_transcripts s JOIN transcript_match m USING (seq)
WHERE m.how = 'new'
ORDER BY s.seq;
