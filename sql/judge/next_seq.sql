-- The next free sequence number of a judge's verdicts in a run.
SELECT coalesce(max(seq), -1) + 1 FROM verdicts WHERE run_id = $run_id AND judge = $judge;
