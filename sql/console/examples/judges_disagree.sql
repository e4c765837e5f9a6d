-- The items two judges of a run disagree on: each judge's winner, with the question and its paper.
SELECT r.name AS run, a.judge AS judge_a, b.judge AS judge_b, i.paper, i.question, a.winner AS winner_a, b.winner AS winner_b
FROM verdicts a
JOIN verdicts b ON b.run_id = a.run_id AND b.item_key = a.item_key AND a.judge < b.judge
JOIN items i ON i.run_id = a.run_id AND i.item_key = a.item_key
JOIN runs r ON r.run_id = a.run_id
WHERE a.winner <> b.winner
ORDER BY run, judge_a, judge_b, i.paper, i.position NULLS LAST, a.item_key;
