-- The question and answers of the items with row ids $rows (a batch of site/transcript_rows), with each row's place in
-- the list: the caller puts them in order (no sort of the text here). The join reads only those rows of the table,
-- and the text only passes through it (the list is what the join holds).
WITH wanted AS (SELECT unnest($rows) AS item_row, unnest(range(len($rows))) AS ordinal)
SELECT w.ordinal, i.question, i.reference_answer, i.base_answer, i.finetuned_answer
FROM wanted w
JOIN items i ON i.rowid = w.item_row;
