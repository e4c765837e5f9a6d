-- Store the result of one order (base first or fine-tuned first) of a judged item.
INSERT INTO judge_orders (run_id, judge, item_key, ord, first_answer, p_first, letter_mass, prompt_tokens,
                          evaluated_tokens, seconds)
VALUES ($run_id, $judge, $item_key, $ord, $first_answer, $p_first, $letter_mass, $prompt_tokens,
        $evaluated_tokens, $seconds);
