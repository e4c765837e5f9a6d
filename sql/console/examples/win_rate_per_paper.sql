-- Win rate per paper, from the verdicts: fine-tuned wins (a tie counts half) out of n = base wins + fine-tuned wins + ties, with its 95 % Wilson interval; withheld (NULL) where some verdicts of the judge have no known paper, as the report does.
WITH per_paper AS (
    SELECT v.run_id, v.judge, i.paper,
           count(*) FILTER (v.winner = 'base') AS base_wins,
           count(*) FILTER (v.winner = 'finetuned') AS finetuned_wins,
           count(*) FILTER (v.winner = 'tie') AS ties,
           count(*) FILTER (v.winner = 'invalid') AS invalid
    FROM verdicts v
    LEFT JOIN items i USING (run_id, item_key)
    GROUP BY ALL
), rated AS (
    SELECT *, base_wins + finetuned_wins + ties AS n,
           bool_or(paper IS NULL) OVER (PARTITION BY run_id, judge) AS some_unknown
    FROM per_paper
)
SELECT r.name AS run, judge, coalesce(paper, '(source unknown)') AS paper, n, base_wins, finetuned_wins, ties, invalid,
       CASE WHEN NOT some_unknown THEN round((finetuned_wins + 0.5 * ties) / nullif(n, 0), 4) END AS win_rate,
       CASE WHEN NOT some_unknown THEN round(wilson_low(finetuned_wins + 0.5 * ties, n), 4) END AS ci_low,
       CASE WHEN NOT some_unknown THEN round(wilson_high(finetuned_wins + 0.5 * ties, n), 4) END AS ci_high
FROM rated
JOIN runs r USING (run_id)
ORDER BY run, judge, paper IS NULL, paper;
