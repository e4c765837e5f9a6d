-- Source files already ingested into a run, by content hash.
SELECT sha256, path, format FROM sources WHERE run_id = $run_id ORDER BY source_id;
