-- One row per base-win transcript (an item the base model won under any judge), with what lists of transcripts show
-- and a digest of everything its own page shows besides that: its text, its failure categories with every judge's
-- evidence, and every verdict on its question (with each order's outcome, label and text). A rebuild compares the
-- digest with the one its pages were rendered from and reads the text (site/transcript_texts) only for pages that
-- changed. With what lists show, the digest covers the item's rows of the transcripts report too, so the digests of
-- the parts of data/transcripts/ are made from it (reportgen.site.data.parts_of).
-- DuckDB's 64-bit hash(): of the text, with the answers' lengths, the one stored when the item was written
-- (summary_item_text; hashing every answer at each rebuild cost more than the rest of it); order-free sums of row
-- hashes where the rows carry their own order (judge, seq; category).
WITH wins AS (
    SELECT v.run_id, v.judge, v.item_key, v.seq,
           row_number() OVER (PARTITION BY v.run_id, v.item_key ORDER BY v.judge, v.seq) AS nth
    FROM verdicts v
    SEMI JOIN base_wins b ON b.run_id = v.run_id AND b.judge = v.judge AND b.seq = v.seq
), hits AS (  -- the failure categories of the items' base wins, under every judge
    SELECT c.run_id, c.item_key, c.judge, c.category, c.evidence
    FROM item_categories c
    SEMI JOIN wins w ON w.run_id = c.run_id AND w.judge = c.judge AND w.item_key = c.item_key
), cats AS (  -- an item's categories (every judge's base win carries the same ones), and a digest of every evidence
    SELECT run_id, item_key, list(DISTINCT category ORDER BY category) AS categories,
           sum(hash(judge, category, evidence)::HUGEINT) AS digest
    FROM hits GROUP BY ALL
), said AS (
    SELECT v.run_id, v.item_key,
           concat_ws('-', count(*), sum(hash(v.judge, v.seq, v.winner, v.confidence, v.rationale, o1.outcome, o1.label,
                                             o1.rationale, o2.outcome, o2.label, o2.rationale)::HUGEINT)) AS digest
    FROM verdicts v
    SEMI JOIN wins w ON w.run_id = v.run_id AND w.item_key = v.item_key
    LEFT JOIN judge_orders o1 ON o1.run_id = v.run_id AND o1.judge = v.judge AND o1.item_key = v.item_key AND o1.ord = 1
    LEFT JOIN judge_orders o2 ON o2.run_id = v.run_id AND o2.judge = v.judge AND o2.item_key = v.item_key AND o2.ord = 2
    GROUP BY ALL
)
SELECT r.name AS run, w.item_key, w.seq, i.paper, i.question, i.position,
       coalesce(c.categories, []) AS categories,
       concat_ws('-', d.text_digest, d.len_reference, d.len_base, d.len_finetuned, c.digest, s.digest) AS digest
FROM wins w
JOIN runs r USING (run_id)
JOIN items i USING (run_id, item_key)
JOIN summary_item_text d USING (run_id, item_key)
LEFT JOIN cats c USING (run_id, item_key)
LEFT JOIN said s USING (run_id, item_key)
WHERE w.nth = 1 AND ($run IS NULL OR r.name = $run)
-- The order the site lists them in (gathering takes it as it is): by paper, then CSV position.
ORDER BY r.name, i.paper, i.position NULLS LAST, w.seq, w.item_key;
