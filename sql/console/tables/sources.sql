-- The sources table as the SQL console publishes it: the path is the file name only, so the site holds no machine paths.
SELECT * REPLACE (regexp_extract(path, '[^/\\]+$') AS path) FROM sources ORDER BY run_id, source_id;
