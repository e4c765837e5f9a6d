-- The SQL console's list of tables: every column of every table and view, with its type as the browser's DuckDB sees it.
SELECT table_name, column_name, data_type
FROM information_schema.columns
WHERE table_schema = 'main'
ORDER BY table_name, ordinal_position;
