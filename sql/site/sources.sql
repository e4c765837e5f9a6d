-- Source files of every run for the site: format, file name (no folder, so pages hold no machine paths), SHA-256, size and what ingest read.
SELECT r.name AS run, s.source_id, s.format, regexp_extract(s.path, '[^/\\]+$') AS file, s.sha256, s.bytes, s.summary
FROM sources s
JOIN runs r USING (run_id)
ORDER BY r.name, s.source_id;
