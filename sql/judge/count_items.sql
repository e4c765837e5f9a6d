-- How many items of a run have text, how many of them already carry a verdict of $judge, and how many a verdict at or after seq $since (a --rejudge in progress: the items it has judged again; 0 without one).
SELECT count(*) AS items,
       count(*) FILTER (EXISTS (SELECT 1 FROM verdicts v
                                WHERE v.run_id = i.run_id AND v.judge = $judge AND v.item_key = i.item_key)) AS judged,
       count(*) FILTER ($since IS NOT NULL AND EXISTS (
                          SELECT 1 FROM verdicts v WHERE v.run_id = i.run_id AND v.judge = $judge
                                                     AND v.item_key = i.item_key AND v.seq >= $since)) AS redone
FROM items i
WHERE i.run_id = $run_id;
