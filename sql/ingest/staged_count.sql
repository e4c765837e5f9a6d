-- Number of rows of the items CSV that check_items_csv read.
SELECT count(*) FROM staged_keys;
