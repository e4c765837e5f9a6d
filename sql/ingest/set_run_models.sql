-- Name a run's two models and its items' group label as the ingested data names them (NULL keeps what the run has).
UPDATE runs SET base_model = coalesce($base, base_model), finetuned_model = coalesce($finetuned, finetuned_model),
                group_label = coalesce($group_label, group_label)
WHERE run_id = $run_id;
