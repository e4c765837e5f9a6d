-- The items a judge already has a verdict for in a run (a second file of that judge may not judge them again).
SELECT DISTINCT item_key FROM verdicts WHERE run_id = $run_id AND judge = $judge AND item_key IS NOT NULL;
