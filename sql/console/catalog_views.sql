-- The database's own views (base_wins, …) as the CREATE VIEW statements that made them, oldest first, for the SQL console to create them again.
SELECT view_name, sql
FROM duckdb_views()
WHERE NOT internal AND NOT temporary AND database_name = current_database() AND schema_name = 'main'
ORDER BY view_oid;
