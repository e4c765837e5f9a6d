-- Number of rows of the staged items CSV.
SELECT count(*) FROM staged_csv;
