-- Key every staged items CSV row: its id when the CSV has one ($has_id), else a hash of its paper and question.
CREATE OR REPLACE TEMP TABLE staged_keys AS
SELECT position, CASE WHEN $has_id THEN trim(id) ELSE item_key_of(question, paper) END AS item_key
FROM staged_csv;
