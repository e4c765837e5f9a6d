-- A smaller memory budget for a connection that streams what it reads (a site build): DuckDB keeps the blocks it
-- read in memory up to its budget, which such a reader never needs back.
SET memory_limit = $limit;
