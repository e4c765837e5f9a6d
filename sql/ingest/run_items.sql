-- The items of a run with what alignment needs: key, text to match on, CSV position.
SELECT item_key, position, question, paper FROM items WHERE run_id = $run_id ORDER BY position NULLS LAST, item_key;
