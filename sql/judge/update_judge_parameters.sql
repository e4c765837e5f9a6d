-- A judge's bookkeeping changed, not what it is (a --rejudge begun or finished): its parameters JSON, started_at kept.
UPDATE judges SET parameters = $parameters WHERE run_id = $run_id AND judge = $judge;
