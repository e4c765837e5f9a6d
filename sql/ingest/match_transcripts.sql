-- Match each staged transcript to an item of the run: by question and paper, else by question alone when that is
-- unique, else it becomes a new item keyed by its text (with its comparison index added if that key is taken).
CREATE OR REPLACE TEMP TABLE transcript_match AS
WITH run_items AS (
    SELECT item_key, norm_text(question) AS q, norm_text(paper) AS p FROM items WHERE run_id = $run_id
), by_text AS (
    SELECT q, p, min(item_key) AS item_key, count(*) AS n FROM run_items GROUP BY q, p
), by_question AS (
    SELECT q, min(item_key) AS item_key, count(*) AS n FROM run_items GROUP BY q
), t AS (
    SELECT seq, question, paper, norm_text(question) AS q, norm_text(paper) AS p FROM staged_transcripts
), matched AS (
    SELECT t.seq, t.question, t.paper,
           CASE WHEN bt.n = 1 THEN bt.item_key WHEN bt.n IS NULL AND bq.n = 1 THEN bq.item_key END AS item_key,
           CASE WHEN bt.n = 1 THEN 'text' WHEN bt.n IS NULL AND bq.n = 1 THEN 'question' ELSE 'new' END AS how
    FROM t
    LEFT JOIN by_text bt ON bt.q = t.q AND bt.p = t.p
    LEFT JOIN by_question bq ON bq.q = t.q
), fresh AS (
    SELECT seq, item_key_of(question, paper) AS k,
           row_number() OVER (PARTITION BY item_key_of(question, paper) ORDER BY seq) AS nth
    FROM matched WHERE how = 'new'
)
SELECT m.seq, m.how,
       coalesce(m.item_key,
                CASE WHEN f.nth > 1 OR f.k IN (SELECT item_key FROM run_items) THEN f.k || '-' || m.seq ELSE f.k END
       ) AS item_key
FROM matched m LEFT JOIN fresh f USING (seq);
