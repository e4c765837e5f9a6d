-- A digest of what the transcripts report (data/transcripts.csv and .parquet) is computed from, for $run (NULL: every
-- run): every base win with its text, and the failure categories. A rebuild reads that report again only when it
-- changed. Order-free sums of DuckDB's 64-bit row hashes (rows are unique by their keys), with the row counts; each
-- item's text by its stored digest (summary_item_text).
SELECT concat_ws('-',
    (SELECT concat_ws('-', count(*), sum(hash(r.name, b.judge, b.seq, b.item_key, b.paper, b.question, b.position,
                                              b.confidence, b.rationale, d.text_digest)::HUGEINT))
     FROM base_wins b JOIN runs r USING (run_id) JOIN summary_item_text d USING (run_id, item_key)
     WHERE $run IS NULL OR r.name = $run),
    (SELECT concat_ws('-', count(*), sum(hash(r.name, c.judge, c.item_key, c.category, c.evidence)::HUGEINT))
     FROM item_categories c JOIN runs r USING (run_id) WHERE $run IS NULL OR r.name = $run)) AS digest;
