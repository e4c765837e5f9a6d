-- Forget one item's verdict and per-order results of a judge (--rejudge), in the transaction that writes the new ones.
DELETE FROM verdicts WHERE run_id = $run_id AND judge = $judge AND item_key = $item_key;
DELETE FROM judge_orders WHERE run_id = $run_id AND judge = $judge AND item_key = $item_key;
