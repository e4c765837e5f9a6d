-- Record the number of entries a judge log says were loaded for the run.
UPDATE runs SET declared_items = $declared WHERE run_id = $run_id;
