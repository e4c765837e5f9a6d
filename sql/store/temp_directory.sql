-- The folder DuckDB spills to (reportgen sets it to <database>.tmp beside the database file).
SELECT current_setting('temp_directory');
