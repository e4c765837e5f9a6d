-- Judge reliability per run and judge, overall and per paper, for judges that stored both orders: swap consistency, first-position win rate, length bias.
-- Order 1 shows the base answer first, order 2 the fine-tuned one; an order "picks" its first answer when p_first > 0.5,
-- or what its stored outcome says (imported two-game judges: Arena-Hard games, MT-bench g1/g2; a tie picks neither).
-- Length is in characters; items whose two answers are equally long do not count for length bias.
WITH orders AS (
    -- an order's pick: its stored outcome (imported two-game judges), else its first answer when p_first > 0.5
    SELECT run_id, judge, item_key, ord, letter_mass,
           coalesce(outcome, CASE WHEN p_first > 0.5 THEN first_answer
                                  WHEN first_answer = 'base' THEN 'finetuned' ELSE 'base' END) AS pick,
           coalesce(outcome, CASE WHEN p_first > 0.5 THEN first_answer END) = first_answer AS first_wins
    FROM judge_orders
    WHERE p_first IS NOT NULL OR outcome IN ('base', 'finetuned', 'tie')
), pairs AS (
    SELECT o1.run_id, o1.judge, o1.item_key, o1.pick AS pick_1, o2.pick AS pick_2,
           coalesce(o1.first_wins, false) AS first_wins_1, coalesce(o2.first_wins, false) AS first_wins_2,
           least(o1.letter_mass, o2.letter_mass) AS min_mass
    FROM orders o1
    JOIN orders o2 ON o2.run_id = o1.run_id AND o2.judge = o1.judge AND o2.item_key = o1.item_key
    WHERE o1.ord = 1 AND o2.ord = 2
), picks AS (
    SELECT p.run_id, p.judge, p.item_key, i.paper, v.winner, p.min_mass, p.first_wins_1, p.first_wins_2,
           p.pick_1, p.pick_2,
           CASE WHEN length(i.base_answer) > length(i.finetuned_answer) THEN 'base'
                WHEN length(i.base_answer) < length(i.finetuned_answer) THEN 'finetuned' END AS longer
    FROM pairs p
    JOIN items i USING (run_id, item_key)
    JOIN verdicts v ON v.run_id = p.run_id AND v.judge = p.judge AND v.item_key = p.item_key
)
SELECT r.name AS run, judge, coalesce(paper, '(all papers)') AS paper, grouping(paper) = 1 AS is_total,
       count(*) AS items,
       count(*) FILTER (pick_1 = pick_2) AS consistent_items,
       count(*) FILTER (pick_1 = pick_2) / count(*) AS swap_consistency,
       (count(*) FILTER (first_wins_1) + count(*) FILTER (first_wins_2)) / (2 * count(*)) AS first_position_win_rate,
       count(*) FILTER (winner IN ('base', 'finetuned') AND longer IS NOT NULL) AS decisive_items,
       count(*) FILTER (winner = longer) / nullif(count(*) FILTER (winner IN ('base', 'finetuned') AND longer IS NOT NULL), 0)
           AS longer_wins_rate,
       (count(*) FILTER (pick_1 = longer) + count(*) FILTER (pick_2 = longer))
           / nullif(2 * count(*) FILTER (longer IS NOT NULL), 0) AS longer_picked_rate,
       count(*) FILTER (winner = 'tie') AS ties,
       count(*) FILTER (winner = 'invalid') AS invalid,
       avg(min_mass) AS mean_letter_mass
FROM picks
JOIN runs r USING (run_id)
GROUP BY GROUPING SETS ((r.name, judge), (r.name, judge, paper))
ORDER BY run, judge, is_total DESC, paper;
