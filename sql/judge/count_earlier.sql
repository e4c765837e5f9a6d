-- How many verdicts of $judge in a run were made before seq $since, with an earlier model, template or parameters of the judge.
SELECT count(*) FROM verdicts WHERE run_id = $run_id AND judge = $judge AND seq < $since;
