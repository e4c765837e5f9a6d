-- Create a run and return its id.
INSERT INTO runs (name, synthetic) VALUES ($name, $synthetic) RETURNING run_id;
