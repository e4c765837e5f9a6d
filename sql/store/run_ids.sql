-- Every run of the database (whose summaries a migration recomputes).
SELECT run_id FROM runs ORDER BY run_id;
