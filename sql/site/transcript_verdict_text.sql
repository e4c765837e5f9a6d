-- The judge's rationale of the verdicts with row ids $rows (a batch of site/transcript_rows), with each row's place in
-- the list, as site/transcript_item_text reads the items' text.
WITH wanted AS (SELECT unnest($rows) AS verdict_row, unnest(range(len($rows))) AS ordinal)
SELECT w.ordinal, v.rationale
FROM wanted w
JOIN verdicts v ON v.rowid = w.verdict_row;
