-- Store the result of one order (base first or fine-tuned first) of a judged item.
INSERT INTO judge_orders (run_id, judge, item_key, ord, first_answer, p_first, letter_mass, prompt_tokens,
                          evaluated_tokens, seconds)
VALUES ($run_id, $judge, $item_key, $ord, $first_answer, $p_first, $letter_mass, $prompt_tokens,
        $evaluated_tokens, $seconds);
-- The verdict's P(fine-tuned better): the mean over the orders stored so far
UPDATE verdicts SET p_finetuned = (
    SELECT avg(CASE first_answer WHEN 'finetuned' THEN p_first ELSE 1 - p_first END)
    FROM judge_orders WHERE run_id = $run_id AND judge = $judge AND item_key = $item_key)
WHERE run_id = $run_id AND judge = $judge AND item_key = $item_key;
