-- Record one ingested source file and return its id within the run.
INSERT INTO sources (run_id, source_id, path, format, sha256, bytes, summary)
SELECT $run_id, coalesce(max(source_id), 0) + 1, $path, $format, $sha256, $bytes, $summary
FROM sources WHERE run_id = $run_id
RETURNING source_id;
