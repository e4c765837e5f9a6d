-- Temporary tables a judge log is streamed into, chunk by chunk, before it is matched and written.
CREATE OR REPLACE TEMP TABLE staged_log_verdicts (seq INTEGER, winner VARCHAR, line INTEGER);
CREATE OR REPLACE TEMP TABLE staged_transcripts (
    seq INTEGER, line INTEGER, question VARCHAR, paper VARCHAR,
    reference_answer VARCHAR, base_answer VARCHAR, finetuned_answer VARCHAR
);
