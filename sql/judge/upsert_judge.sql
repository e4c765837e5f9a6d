-- Record (or re-record after --rejudge) what a judge of a run is: model, hashes and parameters.
INSERT OR REPLACE INTO judges (run_id, judge, backend, model, model_sha256, template, template_sha256, parameters)
VALUES ($run_id, $judge, $backend, $model, $model_sha256, $template, $template_sha256, $parameters);
