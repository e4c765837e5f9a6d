-- The runs table as the SQL console publishes it (every column, as in the database).
SELECT * FROM runs ORDER BY run_id;
