-- Fine-tuned answer is shorter than the base answer that beat it.
SELECT run_id, judge, item_key,
       printf('fine-tuned %d chars vs base %d chars (%d %%)', length(finetuned_answer), length(base_answer),
              round(100 * length(finetuned_answer) / length(base_answer))::INTEGER) AS evidence
FROM base_wins
WHERE run_id = $run_id AND length(finetuned_answer) < length(base_answer);
