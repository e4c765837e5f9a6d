-- The verdicts table as the SQL console publishes it (every column, as in the database).
SELECT * FROM verdicts ORDER BY run_id, judge, seq;
