-- Per run and base-win item: what the site's lists show of its transcript, and a digest of everything its own page
-- and its rows of data/transcripts/ show besides (site/transcript_list reads it). Kept by sql/store/refresh_transcripts.sql
-- in the transaction that changes a run's verdicts, items, per-order results or category hits (store.refresh_summaries),
-- so that a site rebuild reads one row per transcript instead of joining every verdict, order and category again
-- (three quarters of the reading of a rebuild after one changed verdict at 10k transcripts); a migration fills it for
-- every run.
CREATE TABLE summary_transcripts (
    run_id      INTEGER NOT NULL,
    item_key    VARCHAR NOT NULL,
    seq         INTEGER NOT NULL,   -- the seq of the item's first base win (by judge, then seq)
    paper       VARCHAR NOT NULL,
    question    VARCHAR NOT NULL,
    position    INTEGER,
    categories  VARCHAR[] NOT NULL,
    digest      VARCHAR NOT NULL,
    key_byte    INTEGER NOT NULL,   -- the first byte of the MD5 of item_key: its part of data/transcripts/ is this % parts
    data_chars  BIGINT NOT NULL     -- the answers' characters of its rows of report/transcripts (one per base win)
);
