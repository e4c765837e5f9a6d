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
    SELECT run_id, judge, sum(weight)::BIGINT AS battles,  -- sum() of integers is HUGEINT, which JSON prints as text
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

-- Every two judges of the run on the items both judged: agreement over the items both judged validly, an invalid
-- verdict of either judge counted on its own (judge_agreement)
DELETE FROM summary_judge_pairs WHERE run_id = $run_id;
INSERT INTO summary_judge_pairs
WITH v AS (
    SELECT run_id, judge, item_key, winner FROM verdicts WHERE run_id = $run_id AND item_key IS NOT NULL
), j AS (
    SELECT a.run_id, a.judge AS judge_a, b.judge AS judge_b, a.winner AS winner_a, b.winner AS winner_b,
           'invalid' NOT IN (a.winner, b.winner) AS valid
    FROM v a
    JOIN v b ON b.item_key = a.item_key AND a.judge < b.judge
)
SELECT run_id, judge_a, judge_b,
       count(*),
       count(*) FILTER (valid AND winner_a = winner_b),
       count(*) FILTER (winner_a = 'base' AND winner_b = 'finetuned'),
       count(*) FILTER (winner_a = 'finetuned' AND winner_b = 'base'),
       count(*) FILTER (valid AND winner_a <> winner_b AND 'tie' IN (winner_a, winner_b)),
       count(*) FILTER (NOT valid)
FROM j
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
-- Items are paired by key where their question is the same in both runs (or unknown in either: no text to compare);
-- a shared key whose questions differ is counted in differing_questions and not paired. An item scores 1 for a
-- fine-tuned win, 1/2 for a tie, 0 for a base win; a pair with an invalid verdict is counted in invalid_pairs and left
-- out. The same figures as reportgen.fieldstats.paired_comparison (tests/test_fieldstats.py compares them):
--   sign_test_p: the exact two-sided sign test on the items whose score went up (b higher) or down, binomial at 1/2;
--   ci_low, ci_high: Newcombe's hybrid score interval for paired proportions (1998, method 10), each item split into
--   two half-weight items scoring 1 or 0 (a tie: one of each), coupled comonotonically, so the 2x2 table has halves.
DELETE FROM summary_paired WHERE run_a = $run_id OR run_b = $run_id;
INSERT INTO summary_paired
WITH scored AS (
    SELECT r.name AS run, v.run_id, v.judge, v.item_key, i.question, v.winner = 'finetuned' AS win,
           CASE v.winner WHEN 'finetuned' THEN 1.0 WHEN 'tie' THEN 0.5 WHEN 'base' THEN 0.0 END AS score  -- NULL: invalid
    FROM verdicts v JOIN runs r USING (run_id)
    LEFT JOIN items i ON i.run_id = v.run_id AND i.item_key = v.item_key
    WHERE v.item_key IS NOT NULL
), this_run AS (
    SELECT * FROM scored WHERE run_id = $run_id
), joined AS (
    SELECT a.run_id AS run_a, a.judge AS judge_a, b.run_id AS run_b, b.judge AS judge_b,
           a.question <> b.question AS other_question,  -- NULL (not known to differ) where either has no text
           a.win AS win_a, b.win AS win_b, a.score AS score_a, b.score AS score_b
    FROM this_run a JOIN scored b ON b.item_key = a.item_key AND (a.run, a.judge) < (b.run, b.judge)
    UNION ALL
    SELECT a.run_id, a.judge, b.run_id, b.judge, a.question <> b.question, a.win, b.win, a.score, b.score
    FROM scored a JOIN this_run b ON b.item_key = a.item_key AND (a.run, a.judge) < (b.run, b.judge)
    WHERE a.run_id <> $run_id
), pairs AS (
    SELECT *, coalesce(NOT other_question, true) AND score_a IS NOT NULL AND score_b IS NOT NULL AS used
    FROM joined
), counts AS (
    SELECT run_a, judge_a, run_b, judge_b,
           count(*) FILTER (used) AS n,
           count(*) FILTER (used AND NOT win_a AND win_b) AS flips_to_b,
           count(*) FILTER (used AND win_a AND NOT win_b) AS flips_to_a,
           count(*) FILTER (used AND score_b > score_a) AS items_up,
           count(*) FILTER (used AND score_b < score_a) AS items_down,
           avg(score_a) FILTER (used) AS rate_a, avg(score_b) FILTER (used) AS rate_b,
           avg(score_b - score_a) FILTER (used) AS difference,
           -- the half-weight 2x2 table, b's outcome first: an item's halves score (score >= 1/2, score = 1)
           0.5 * (count(*) FILTER (used AND score_b >= 0.5 AND score_a >= 0.5) + count(*) FILTER (used AND score_b = 1 AND score_a = 1)) AS h11,
           0.5 * (count(*) FILTER (used AND score_b >= 0.5 AND score_a < 0.5) + count(*) FILTER (used AND score_b = 1 AND score_a < 1)) AS h10,
           0.5 * (count(*) FILTER (used AND score_b < 0.5 AND score_a >= 0.5) + count(*) FILTER (used AND score_b < 1 AND score_a = 1)) AS h01,
           0.5 * (count(*) FILTER (used AND score_b < 0.5 AND score_a < 0.5) + count(*) FILTER (used AND score_b < 1 AND score_a < 1)) AS h00,
           count(*) FILTER (coalesce(NOT other_question, true) AND NOT used) AS invalid_pairs,
           count(*) FILTER (other_question) AS differing_questions
    FROM pairs
    GROUP BY ALL
), wilson AS (
    -- p1 = b's rate with Wilson interval (l1, u1), p2 = a's with (l2, u2); phi the table's correlation with Newcombe's
    -- correction: ad - bc less n/2 where above n/2, 0 from 0 to n/2, as it is below 0 (0 without a correlation)
    SELECT *, rate_b AS p1, rate_a AS p2,
           wilson_low(h11 + h10, n) AS l1, wilson_high(h11 + h10, n) AS u1,
           wilson_low(h11 + h01, n) AS l2, wilson_high(h11 + h01, n) AS u2,
           CASE WHEN (h11 + h10) * (h01 + h00) * (h11 + h01) * (h10 + h00) > 0
                THEN (CASE WHEN h11 * h00 - h10 * h01 > n / 2 THEN h11 * h00 - h10 * h01 - n / 2
                           ELSE least(h11 * h00 - h10 * h01, 0) END)
                     / sqrt((h11 + h10) * (h01 + h00) * (h11 + h01) * (h10 + h00))
                ELSE 0 END AS phi
    FROM counts
), tails AS (
    -- P(X <= min(up, down)) for X ~ Binomial(up + down, 1/2), term by term
    SELECT run_a, judge_a, run_b, judge_b,
           sum(exp(lgamma(d + 1) - lgamma(i + 1) - lgamma(d - i + 1) - d * ln(2))) AS tail
    FROM (SELECT run_a, judge_a, run_b, judge_b, items_up + items_down AS d,
                 unnest(range(0, least(items_up, items_down) + 1)) AS i
          FROM counts)
    GROUP BY ALL
)
SELECT w.run_a, w.judge_a, w.run_b, w.judge_b, w.n, w.rate_a, w.rate_b, w.items_up + w.items_down,
       w.flips_to_b, w.flips_to_a, w.items_up, w.items_down, w.difference,
       CASE WHEN w.n > 0 THEN greatest(-1, w.difference - sqrt(greatest(0,
           (w.p1 - w.l1) ^ 2 - 2 * w.phi * (w.p1 - w.l1) * (w.u2 - w.p2) + (w.u2 - w.p2) ^ 2))) END,
       CASE WHEN w.n > 0 THEN least(1, w.difference + sqrt(greatest(0,
           (w.u1 - w.p1) ^ 2 - 2 * w.phi * (w.u1 - w.p1) * (w.p2 - w.l2) + (w.p2 - w.l2) ^ 2))) END,
       CASE WHEN w.items_up + w.items_down = 0 THEN 1.0 ELSE least(1.0, 2 * t.tail) END,
       w.invalid_pairs, w.differing_questions
FROM wilson w
JOIN tails t USING (run_a, judge_a, run_b, judge_b);

-- Judges that stored both orders: per paper, the counts behind swap consistency, position and length bias (reliability).
-- An order's pick is its stored outcome (imported two-game judges), else its first answer when p_first > 0.5, the
-- second when p_first < 0.5, and neither (a tie) at exactly 0.5; decisive orders are those that picked an answer.
DELETE FROM summary_reliability WHERE run_id = $run_id;
INSERT INTO summary_reliability
WITH orders AS (
    SELECT run_id, judge, item_key, ord, letter_mass,
           coalesce(outcome, CASE WHEN p_first > 0.5 THEN first_answer
                                  WHEN p_first = 0.5 THEN 'tie'
                                  WHEN first_answer = 'base' THEN 'finetuned' ELSE 'base' END) AS pick,
           pick = first_answer AS first_wins,
           pick IN ('base', 'finetuned') AS decisive
    FROM judge_orders
    WHERE run_id = $run_id AND (p_first IS NOT NULL OR outcome IN ('base', 'finetuned', 'tie'))
), pairs AS (
    SELECT o1.run_id, o1.judge, o1.item_key, o1.pick AS pick_1, o2.pick AS pick_2,
           coalesce(o1.first_wins, false) AS first_wins_1, coalesce(o2.first_wins, false) AS first_wins_2,
           coalesce(o1.decisive, false) AS decisive_1, coalesce(o2.decisive, false) AS decisive_2,
           least(o1.letter_mass, o2.letter_mass) AS min_mass
    FROM orders o1
    JOIN orders o2 ON o2.run_id = o1.run_id AND o2.judge = o1.judge AND o2.item_key = o1.item_key
    WHERE o1.ord = 1 AND o2.ord = 2
), picks AS (
    SELECT p.run_id, p.judge, p.item_key, i.paper, v.winner, p.min_mass, p.first_wins_1, p.first_wins_2,
           p.pick_1, p.pick_2, p.decisive_1, p.decisive_2,
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
       count(*) FILTER (decisive_1) + count(*) FILTER (decisive_2),
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
