-- What an ingested source file held, once it is known (insert_source recorded the file first).
UPDATE sources SET summary = $summary WHERE run_id = $run_id AND source_id = $source_id;
