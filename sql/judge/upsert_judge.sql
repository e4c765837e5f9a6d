-- Record what a judge of a run is (its first verdicts, or a new model, template or parameters after --rejudge): model, hashes and parameters; started_at becomes now.
-- parameters also holds identity_since_seq (verdicts of the judge with a lower seq were made with an earlier identity) and, while a --rejudge is unfinished, rejudge_since_seq.
INSERT OR REPLACE INTO judges (run_id, judge, backend, model, model_sha256, template, template_sha256, parameters)
VALUES ($run_id, $judge, $backend, $model, $model_sha256, $template, $template_sha256, $parameters);
