-- Load the judge log's transcripts, written in chunks to the Parquet files $files, into their staging table in one statement.
INSERT INTO staged_transcripts
SELECT seq, line, question, paper, reference_answer, base_answer, finetuned_answer FROM read_parquet($files);
