-- How many items of a run have text, and how many of them already carry a verdict of $judge.
SELECT count(*) AS items,
       count(*) FILTER (EXISTS (SELECT 1 FROM verdicts v
                                WHERE v.run_id = i.run_id AND v.judge = $judge AND v.item_key = i.item_key)) AS judged
FROM items i
WHERE i.run_id = $run_id;
