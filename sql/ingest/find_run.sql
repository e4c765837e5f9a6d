-- The run of a given name, if it exists.
SELECT run_id, declared_items FROM runs WHERE name = $name;
