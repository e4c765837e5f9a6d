-- Agreement of every two judges of a run on the items both judged: share of identical winners (ties count as a winner) with its 95 % Wilson interval.
-- unattributed_a/_b count verdicts without a known item: when a judge has them, the common items are not a random sample of its verdicts.
WITH v AS (
    SELECT run_id, judge, item_key, winner FROM verdicts WHERE item_key IS NOT NULL
), unattributed AS (
    SELECT run_id, judge, count(*) FILTER (item_key IS NULL) AS n FROM verdicts GROUP BY ALL
)
SELECT r.name AS run, a.judge AS judge_a, b.judge AS judge_b,
       count(*) AS common_items,
       count(*) FILTER (a.winner = b.winner) AS agree,
       count(*) FILTER (a.winner = b.winner) / count(*) AS agreement_rate,
       wilson_low(count(*) FILTER (a.winner = b.winner), count(*)) AS ci_low,
       wilson_high(count(*) FILTER (a.winner = b.winner), count(*)) AS ci_high,
       count(*) FILTER (a.winner = 'base' AND b.winner = 'finetuned') AS a_base_b_finetuned,
       count(*) FILTER (a.winner = 'finetuned' AND b.winner = 'base') AS a_finetuned_b_base,
       count(*) FILTER (a.winner <> b.winner AND 'tie' IN (a.winner, b.winner)) AS one_tie,
       any_value(ua.n) AS unattributed_a,
       any_value(ub.n) AS unattributed_b
FROM v a
JOIN v b ON b.run_id = a.run_id AND b.item_key = a.item_key AND a.judge < b.judge
JOIN runs r ON r.run_id = a.run_id
JOIN unattributed ua ON ua.run_id = a.run_id AND ua.judge = a.judge
JOIN unattributed ub ON ub.run_id = b.run_id AND ub.judge = b.judge
GROUP BY r.name, a.judge, b.judge
ORDER BY run, judge_a, judge_b;
