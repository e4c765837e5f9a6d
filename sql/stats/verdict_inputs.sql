-- Per verdict of every run and judge: what the field's statistics need (P(fine-tuned better) or the tie-half score, both answers' lengths, each game's outcome and weight).
-- The answers' lengths are the ones stored when the items were written (summary_item_text), not read from their text.
SELECT r.name AS run, v.judge, v.winner, v.p_finetuned,
       CASE v.winner WHEN 'finetuned' THEN 1.0 WHEN 'tie' THEN 0.5 WHEN 'base' THEN 0.0 END AS score,
       i.len_finetuned, i.len_base,
       o1.outcome AS outcome_1, o1.weight AS weight_1, o2.outcome AS outcome_2, o2.weight AS weight_2
FROM verdicts v
JOIN runs r USING (run_id)
LEFT JOIN summary_item_text i ON i.run_id = v.run_id AND i.item_key = v.item_key
LEFT JOIN judge_orders o1 ON o1.run_id = v.run_id AND o1.judge = v.judge AND o1.item_key = v.item_key AND o1.ord = 1
LEFT JOIN judge_orders o2 ON o2.run_id = v.run_id AND o2.judge = v.judge AND o2.item_key = v.item_key AND o2.ord = 2
ORDER BY r.name, v.judge, v.seq;
