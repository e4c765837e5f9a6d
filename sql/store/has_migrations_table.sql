-- Whether the migrations bookkeeping table exists (false for a new, empty database).
SELECT count(*) > 0 FROM duckdb_tables() WHERE table_name = 'schema_migrations' AND schema_name = 'main';
