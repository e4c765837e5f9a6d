-- Summaries that count what the reports used to leave out or miscount (sql/store/refresh_summaries.sql fills them; a
-- migration recomputes every run's summaries, store.migrate, so a database written before holds the new figures once
-- it is opened for writing). The tables are derived data: dropped and made again with their new columns.
--   summary_judges.battles: BIGINT (sum(weight) is HUGEINT, which JSON prints as a string).
--   summary_judge_pairs.invalid_pairs: common items with an invalid verdict of either judge, out of the agreement.
--   summary_paired: only items whose question is the same in both runs are paired (differing_questions counts the
--     shared ids left out), pairs with an invalid verdict are counted (invalid_pairs), the exact sign test on the items
--     whose score went up or down, and Newcombe's hybrid score interval for the difference.
--   summary_reliability.decisive_orders: orders that picked an answer (a tie picks neither), the first-position
--     rate's denominator.
DROP TABLE summary_judges;
CREATE TABLE summary_judges (
    run_id                    INTEGER NOT NULL,
    judge                     VARCHAR NOT NULL,
    judged                    BIGINT NOT NULL,
    base_wins                 BIGINT NOT NULL,
    finetuned_wins            BIGINT NOT NULL,
    ties                      BIGINT NOT NULL,
    invalid                   BIGINT NOT NULL,
    source_unknown            BIGINT NOT NULL,
    judged_with_text          BIGINT NOT NULL,
    mean_confidence           DOUBLE,
    p_n                       BIGINT NOT NULL,
    p_mean                    DOUBLE,
    p_se                      DOUBLE,
    battles                   BIGINT,            -- sum(weight) of graded two-game judges, NULL for the others
    arena_score               DOUBLE,
    base_wins_with_text       BIGINT NOT NULL,   -- base wins whose item has both answers (what categories look at)
    base_wins_with_reference  BIGINT NOT NULL,
    PRIMARY KEY (run_id, judge)
);

DROP TABLE summary_judge_pairs;
CREATE TABLE summary_judge_pairs (
    run_id              INTEGER NOT NULL,
    judge_a             VARCHAR NOT NULL,
    judge_b             VARCHAR NOT NULL,
    common_items        BIGINT NOT NULL,
    agree               BIGINT NOT NULL,     -- the same valid winner (a tie counts as one)
    a_base_b_finetuned  BIGINT NOT NULL,
    a_finetuned_b_base  BIGINT NOT NULL,
    one_tie             BIGINT NOT NULL,     -- a tie against a base or fine-tuned win
    invalid_pairs       BIGINT NOT NULL,     -- an invalid verdict of either judge: not in the agreement
    PRIMARY KEY (run_id, judge_a, judge_b)
);

DROP TABLE summary_paired;
CREATE TABLE summary_paired (
    run_a                INTEGER NOT NULL,
    judge_a              VARCHAR NOT NULL,
    run_b                INTEGER NOT NULL,
    judge_b              VARCHAR NOT NULL,
    n                    BIGINT NOT NULL,    -- items with the same question and a valid verdict in both
    rate_a               DOUBLE,
    rate_b               DOUBLE,
    changed              BIGINT NOT NULL,
    flips_to_b           BIGINT NOT NULL,
    flips_to_a           BIGINT NOT NULL,
    items_up             BIGINT NOT NULL,    -- items whose tie-half score is higher in b
    items_down           BIGINT NOT NULL,
    difference           DOUBLE,
    ci_low               DOUBLE,
    ci_high              DOUBLE,
    sign_test_p          DOUBLE,
    invalid_pairs        BIGINT NOT NULL,    -- same question, an invalid verdict in either: left out
    differing_questions  BIGINT NOT NULL,    -- the same item key, a different question: not paired
    PRIMARY KEY (run_a, judge_a, run_b, judge_b)
);

DROP TABLE summary_reliability;
CREATE TABLE summary_reliability (
    run_id              INTEGER NOT NULL,
    judge               VARCHAR NOT NULL,
    paper               VARCHAR NOT NULL,
    items               BIGINT NOT NULL,
    consistent_items    BIGINT NOT NULL,
    first_wins          BIGINT NOT NULL,     -- orders won by the answer shown first (both orders counted)
    decisive_orders     BIGINT NOT NULL,     -- orders that picked an answer, not a tie (both orders counted)
    decisive_items      BIGINT NOT NULL,
    longer_wins         BIGINT NOT NULL,
    longer_picked       BIGINT NOT NULL,     -- single orders that picked the longer answer
    with_longer         BIGINT NOT NULL,     -- items whose answers differ in length
    ties                BIGINT NOT NULL,
    invalid             BIGINT NOT NULL,
    mass_sum            DOUBLE,
    mass_n              BIGINT NOT NULL,
    PRIMARY KEY (run_id, judge, paper)
);
