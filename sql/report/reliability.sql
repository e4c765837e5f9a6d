-- Judge reliability per run and judge, overall and per paper, for judges that stored both orders: swap consistency, first-position win rate, length bias.
-- Order 1 shows the base answer first, order 2 the fine-tuned one; an order "picks" its first answer when p_first > 0.5,
-- its second when p_first < 0.5 and neither (a tie) at exactly 0.5, or what its stored outcome says (imported two-game
-- judges: Arena-Hard games, MT-bench g1/g2; a tie picks neither). The first-position win rate is over the decisive
-- orders (those that picked an answer; decisive_orders, both orders of an item counted), so 50 % means no position bias.
-- Length is in characters; items whose two answers are equally long do not count for length bias.
-- The per-paper counts come from summary_reliability; the totals add them up.
SELECT r.name AS run, judge, coalesce(paper, '(all papers)') AS paper, grouping(paper) = 1 AS is_total,
       sum(items)::BIGINT AS items,
       sum(consistent_items)::BIGINT AS consistent_items,
       sum(consistent_items) / sum(items) AS swap_consistency,
       sum(first_wins) / nullif(sum(decisive_orders), 0) AS first_position_win_rate,
       sum(decisive_orders)::BIGINT AS decisive_orders,
       sum(decisive_items)::BIGINT AS decisive_items,
       sum(longer_wins) / nullif(sum(decisive_items), 0) AS longer_wins_rate,
       sum(longer_picked) / nullif(2 * sum(with_longer), 0) AS longer_picked_rate,
       sum(ties)::BIGINT AS ties,
       sum(invalid)::BIGINT AS invalid,
       sum(mass_sum) / nullif(sum(mass_n), 0) AS mean_letter_mass
FROM summary_reliability
JOIN runs r USING (run_id)
GROUP BY GROUPING SETS ((r.name, judge), (r.name, judge, paper))
ORDER BY run, judge, is_total DESC, paper;
