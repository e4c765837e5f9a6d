-- The recorded identity of a judge in a run (model and template hashes), if it has judged there before.
SELECT model, model_sha256, template_sha256, parameters,
       (SELECT count(*) FROM verdicts v WHERE v.run_id = $run_id AND v.judge = $judge) AS verdicts
FROM judges WHERE run_id = $run_id AND judge = $judge;
