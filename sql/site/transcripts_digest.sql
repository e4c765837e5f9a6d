-- A digest of each part of data/transcripts/ (the transcripts report in $parts parts, site/transcript_parts) for $run
-- (NULL: every run): of every base win with its text, and of the failure categories, in the part of its item. A
-- rebuild writes a part again only when its digest changed; a part without rows has none. Order-free sums of DuckDB's
-- 64-bit row hashes (rows are unique by their keys), with the row counts; each item's text by its stored digest
-- (summary_item_text).
WITH wins AS (
    SELECT CAST(md5_number(b.item_key) % 256 AS INTEGER) % $parts AS part, count(*) AS n,
           sum(hash(r.name, b.judge, b.seq, b.item_key, b.paper, b.question, b.position, b.confidence, b.rationale,
                    d.text_digest)::HUGEINT) AS digest
    FROM base_wins b JOIN runs r USING (run_id) JOIN summary_item_text d USING (run_id, item_key)
    WHERE $run IS NULL OR r.name = $run
    GROUP BY part
), cats AS (
    SELECT CAST(md5_number(c.item_key) % 256 AS INTEGER) % $parts AS part, count(*) AS n,
           sum(hash(r.name, c.judge, c.item_key, c.category, c.evidence)::HUGEINT) AS digest
    FROM item_categories c JOIN runs r USING (run_id)
    WHERE $run IS NULL OR r.name = $run
    GROUP BY part
)
SELECT part,
       concat_ws('-', coalesce(w.n, 0), w.digest, coalesce(c.n, 0), c.digest) AS digest
FROM wins w FULL JOIN cats c USING (part)
ORDER BY part;
