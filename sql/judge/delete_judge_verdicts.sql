-- Forget every verdict and per-order result of a judge in a run (its model or template changed and --rejudge was given).
DELETE FROM verdicts WHERE run_id = $run_id AND judge = $judge;
DELETE FROM judge_orders WHERE run_id = $run_id AND judge = $judge;
