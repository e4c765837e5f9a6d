-- Per run and item: a digest of its text and its answers' lengths in characters, so that a site rebuild (which pages
-- changed: site/transcript_list) and the field statistics (stats/verdict_inputs) do not read
-- every answer again. Kept by sql/store/refresh_item_text.sql wherever a run's items may change (an ingest that
-- writes items or replaces the run; a file of verdicts alone and the judge leave them as they were, so their
-- refreshes skip it); a migration fills it for every run.
CREATE TABLE summary_item_text (
    run_id         INTEGER NOT NULL,
    item_key       VARCHAR NOT NULL,
    text_digest    UBIGINT NOT NULL,   -- DuckDB's hash() of the question and the three answers
    len_reference  BIGINT,
    len_base       BIGINT,
    len_finetuned  BIGINT,
    PRIMARY KEY (run_id, item_key)
);
