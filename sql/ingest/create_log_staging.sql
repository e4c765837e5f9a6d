-- Temporary tables a judge log is staged in (verdicts chunk by chunk, transcripts from Parquet files at the end) before it is matched and written.
CREATE OR REPLACE TEMP TABLE staged_log_verdicts (seq INTEGER, winner VARCHAR, line INTEGER);
CREATE OR REPLACE TEMP TABLE staged_transcripts (
    seq INTEGER, line INTEGER, question VARCHAR, paper VARCHAR,
    reference_answer VARCHAR, base_answer VARCHAR, finetuned_answer VARCHAR
);
