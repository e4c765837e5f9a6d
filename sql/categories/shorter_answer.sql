-- Fine-tuned answer under 80 % of the base answer's length: it says less than the answer that won.
SELECT run_id, judge, item_key,
       printf('fine-tuned %d chars vs base %d chars (%d %%)', length(finetuned_answer), length(base_answer),
              round(100 * length(finetuned_answer) / length(base_answer))::INTEGER) AS evidence
FROM base_wins
WHERE length(finetuned_answer) < 0.8 * length(base_answer);
