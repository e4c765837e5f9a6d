-- Judge reliability per run and judge, overall and per paper, for judges that stored both orders: swap consistency, first-position win rate, length bias.
-- Order 1 shows the base answer first, order 2 the fine-tuned one; an order "picks" its first answer when p_first > 0.5.
-- Length is in characters; items whose two answers are equally long do not count for length bias.
WITH pairs AS (
    SELECT o1.run_id, o1.judge, o1.item_key, o1.p_first AS p1, o2.p_first AS p2,
           least(o1.letter_mass, o2.letter_mass) AS min_mass
    FROM judge_orders o1
    JOIN judge_orders o2 ON o2.run_id = o1.run_id AND o2.judge = o1.judge AND o2.item_key = o1.item_key
    WHERE o1.ord = 1 AND o2.ord = 2 AND o1.p_first IS NOT NULL AND o2.p_first IS NOT NULL
), picks AS (
    SELECT p.run_id, p.judge, p.item_key, i.paper, v.winner, p.min_mass,
           p.p1 > 0.5 AS first_wins_1,
           p.p2 > 0.5 AS first_wins_2,
           CASE WHEN p.p1 > 0.5 THEN 'base' ELSE 'finetuned' END AS pick_1,
           CASE WHEN p.p2 > 0.5 THEN 'finetuned' ELSE 'base' END AS pick_2,
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
