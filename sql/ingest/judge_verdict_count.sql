-- How many verdicts a judge already has in a run.
SELECT count(*) FROM verdicts WHERE run_id = $run_id AND judge = $judge;
