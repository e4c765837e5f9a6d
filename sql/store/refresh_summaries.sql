-- Recompute the report summaries (migration 005) of run $run_id from its verdicts, items, per-order results and category hits; runs in the transaction that changed them.
-- Each block computes what a report query used to compute from the raw tables, with the same expressions.

-- Per judge: outcome counts, P(fine-tuned better), graded battles, base wins with text (overall, categories, judge_agreement)
DELETE FROM summary_judges WHERE run_id = $run_id;
INSERT INTO summary_judges
WITH counts AS (
    SELECT v.run_id, v.judge,
           count(*) AS judged,
           count(*) FILTER (v.winner = 'base') AS base_wins,
           count(*) FILTER (v.winner = 'finetuned') AS finetuned_wins,
           count(*) FILTER (v.winner = 'tie') AS ties,
           count(*) FILTER (v.winner = 'invalid') AS invalid,
           count(*) FILTER (v.item_key IS NULL) AS source_unknown,
           count(v.item_key) AS judged_with_text,
           avg(v.confidence) AS mean_confidence,
           count(v.p_finetuned) AS p_n,
           avg(v.p_finetuned) AS p_mean,
           stddev_samp(v.p_finetuned) / sqrt(count(v.p_finetuned)) AS p_se
    FROM verdicts v
    WHERE v.run_id = $run_id
    GROUP BY ALL
), battles AS (
    -- graded two-game judges (Arena-Hard): a game counts its weight in battles; ties half
    SELECT run_id, judge, sum(weight) AS battles,
           (coalesce(sum(weight) FILTER (outcome = 'finetuned'), 0) + 0.5 * coalesce(sum(weight) FILTER (outcome = 'tie'), 0))
               / sum(weight) AS score
    FROM judge_orders
    WHERE run_id = $run_id AND weight IS NOT NULL AND label IN ('A>>B', 'A>B', 'A=B', 'B>A', 'B>>A')
    GROUP BY ALL
), wins AS (
    SELECT run_id, judge, count(*) AS with_text, count(reference_answer) AS with_reference
    FROM base_wins
    WHERE run_id = $run_id
    GROUP BY ALL
)
SELECT c.run_id, c.judge, c.judged, c.base_wins, c.finetuned_wins, c.ties, c.invalid, c.source_unknown,
       c.judged_with_text, c.mean_confidence, c.p_n, c.p_mean, c.p_se, b.battles, b.score,
       coalesce(w.with_text, 0), coalesce(w.with_reference, 0)
FROM counts c
LEFT JOIN battles b ON b.run_id = c.run_id AND b.judge = c.judge
LEFT JOIN wins w ON w.run_id = c.run_id AND w.judge = c.judge;

-- Per judge and paper; verdicts whose item is unknown form the paper '(source unknown)' (papers)
DELETE FROM summary_papers WHERE run_id = $run_id;
INSERT INTO summary_papers
SELECT v.run_id, v.judge, coalesce(i.paper, '(source unknown)') AS paper, v.item_key IS NULL AS is_unknown,
       count(*),
       count(*) FILTER (v.winner = 'base'),
       count(*) FILTER (v.winner = 'finetuned'),
       count(*) FILTER (v.winner = 'tie'),
       count(*) FILTER (v.winner = 'invalid')
FROM verdicts v
LEFT JOIN items i ON i.run_id = v.run_id AND i.item_key = v.item_key
WHERE v.run_id = $run_id
GROUP BY ALL;

-- Items with text per paper (overall, papers)
DELETE FROM summary_paper_items WHERE run_id = $run_id;
INSERT INTO summary_paper_items
SELECT run_id, paper, count(*) FROM items WHERE run_id = $run_id GROUP BY ALL;

-- Category hits per judge, paper and category (categories, paper_categories)
DELETE FROM summary_categories WHERE run_id = $run_id;
INSERT INTO summary_categories
SELECT c.run_id, c.judge, i.paper, c.category, count(*)
FROM item_categories c
JOIN items i ON i.run_id = c.run_id AND i.item_key = c.item_key
WHERE c.run_id = $run_id
GROUP BY ALL;

-- Every two judges of the run on the items both judged (judge_agreement)
DELETE FROM summary_judge_pairs WHERE run_id = $run_id;
INSERT INTO summary_judge_pairs
WITH v AS (
    SELECT run_id, judge, item_key, winner FROM verdicts WHERE run_id = $run_id AND item_key IS NOT NULL
)
SELECT a.run_id, a.judge, b.judge,
       count(*),
       count(*) FILTER (a.winner = b.winner),
       count(*) FILTER (a.winner = 'base' AND b.winner = 'finetuned'),
       count(*) FILTER (a.winner = 'finetuned' AND b.winner = 'base'),
       count(*) FILTER (a.winner <> b.winner AND 'tie' IN (a.winner, b.winner))
FROM v a
JOIN v b ON b.item_key = a.item_key AND a.judge < b.judge
GROUP BY ALL;

-- The items two judges of the run disagree on, numbered in the report's order (judge_disagreements)
DELETE FROM summary_disagreements WHERE run_id = $run_id;
INSERT INTO summary_disagreements
SELECT a.run_id,
       row_number() OVER (ORDER BY a.judge, b.judge, i.paper, i.position NULLS LAST, a.item_key),
       a.judge, b.judge, a.item_key, i.paper, i.question, a.winner, b.winner, a.confidence, b.confidence
FROM verdicts a
JOIN verdicts b ON b.run_id = a.run_id AND b.item_key = a.item_key AND a.judge < b.judge
JOIN items i ON i.run_id = a.run_id AND i.item_key = a.item_key
WHERE a.run_id = $run_id AND a.winner <> b.winner
ORDER BY 2;

-- The run's verdict sets paired with every (run, judge) verdict set, this run's included (paired_comparison).
-- An item scores 1 for a fine-tuned win, 1/2 for a tie, 0 for a base win; invalid verdicts leave the pair out.
DELETE FROM summary_paired WHERE run_a = $run_id OR run_b = $run_id;
INSERT INTO summary_paired
WITH scored AS (
    SELECT r.name AS run, v.run_id, v.judge, v.item_key, v.winner = 'finetuned' AS win,
           CASE v.winner WHEN 'finetuned' THEN 1.0 WHEN 'tie' THEN 0.5 ELSE 0.0 END AS score
    FROM verdicts v JOIN runs r USING (run_id)
    WHERE v.item_key IS NOT NULL AND v.winner <> 'invalid'
), this_run AS (
    SELECT * FROM scored WHERE run_id = $run_id
), joined AS (
    SELECT a.run_id AS run_a, a.judge AS judge_a, b.run_id AS run_b, b.judge AS judge_b,
           a.win AS win_a, b.win AS win_b, a.score AS score_a, b.score AS score_b
    FROM this_run a JOIN scored b ON b.item_key = a.item_key AND (a.run, a.judge) < (b.run, b.judge)
    UNION ALL
    SELECT a.run_id, a.judge, b.run_id, b.judge, a.win, b.win, a.score, b.score
    FROM scored a JOIN this_run b ON b.item_key = a.item_key AND (a.run, a.judge) < (b.run, b.judge)
    WHERE a.run_id <> $run_id
), pairs AS (
    SELECT run_a, judge_a, run_b, judge_b,
           count(*) AS n,
           count(*) FILTER (NOT win_a AND win_b) AS flips_to_b,
           count(*) FILTER (win_a AND NOT win_b) AS flips_to_a,
           count(*) FILTER (score_a <> score_b) AS changed,
           avg(score_a) AS rate_a, avg(score_b) AS rate_b,
           avg(score_b - score_a) AS difference,
           stddev_samp(score_b - score_a) / sqrt(count(*)) AS se  -- NULL for one item: no interval
    FROM joined
    GROUP BY ALL
), tails AS (
    -- P(X <= min(flips)) for X ~ Binomial(flips_to_a + flips_to_b, 1/2), term by term
    SELECT run_a, judge_a, run_b, judge_b,
           sum(exp(lgamma(d + 1) - lgamma(i + 1) - lgamma(d - i + 1) - d * ln(2))) AS tail
    FROM (SELECT run_a, judge_a, run_b, judge_b, flips_to_a + flips_to_b AS d,
                 unnest(range(0, least(flips_to_a, flips_to_b) + 1)) AS i
          FROM pairs)
    GROUP BY ALL
)
SELECT p.run_a, p.judge_a, p.run_b, p.judge_b, p.n, p.rate_a, p.rate_b, p.changed, p.flips_to_b, p.flips_to_a,
       p.difference, p.se,
       CASE WHEN p.flips_to_a + p.flips_to_b = 0 THEN 1.0 ELSE least(1.0, 2 * t.tail) END
FROM pairs p
JOIN tails t USING (run_a, judge_a, run_b, judge_b);

-- Judges that stored both orders: per paper, the counts behind swap consistency, position and length bias (reliability).
-- An order's pick is its stored outcome (imported two-game judges), else its first answer when p_first > 0.5.
DELETE FROM summary_reliability WHERE run_id = $run_id;
INSERT INTO summary_reliability
WITH orders AS (
    SELECT run_id, judge, item_key, ord, letter_mass,
           coalesce(outcome, CASE WHEN p_first > 0.5 THEN first_answer
                                  WHEN first_answer = 'base' THEN 'finetuned' ELSE 'base' END) AS pick,
           coalesce(outcome, CASE WHEN p_first > 0.5 THEN first_answer END) = first_answer AS first_wins
    FROM judge_orders
    WHERE run_id = $run_id AND (p_first IS NOT NULL OR outcome IN ('base', 'finetuned', 'tie'))
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
           CASE WHEN d.len_base > d.len_finetuned THEN 'base'
                WHEN d.len_base < d.len_finetuned THEN 'finetuned' END AS longer
    FROM pairs p
    JOIN items i ON i.run_id = p.run_id AND i.item_key = p.item_key
    JOIN summary_item_text d ON d.run_id = p.run_id AND d.item_key = p.item_key  -- the answers' lengths, not their text
    JOIN verdicts v ON v.run_id = p.run_id AND v.judge = p.judge AND v.item_key = p.item_key
)
SELECT run_id, judge, paper,
       count(*),
       count(*) FILTER (pick_1 = pick_2),
       count(*) FILTER (first_wins_1) + count(*) FILTER (first_wins_2),
       count(*) FILTER (winner IN ('base', 'finetuned') AND longer IS NOT NULL),
       count(*) FILTER (winner = longer),
       count(*) FILTER (pick_1 = longer) + count(*) FILTER (pick_2 = longer),
       count(*) FILTER (longer IS NOT NULL),
       count(*) FILTER (winner = 'tie'),
       count(*) FILTER (winner = 'invalid'),
       sum(min_mass),
       count(min_mass)
FROM picks
GROUP BY ALL;
