-- The database's own macros (wilson_low, wilson_high, norm_text, item_key_of, …) with their parameters and definitions, for the SQL console to create them again.
SELECT function_name, function_type, parameters, macro_definition
FROM duckdb_functions()
WHERE function_type IN ('macro', 'table_macro') AND NOT internal AND database_name = current_database() AND schema_name = 'main'
ORDER BY function_name;
