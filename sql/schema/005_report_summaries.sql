-- Per-run summaries that the report queries read instead of joining every verdict to its item; sql/store/refresh_summaries.sql recomputes a run's rows whenever its verdicts, items or categories change.
-- Counts are BIGINT like the count(*) they replace, so every report keeps its column types.

-- Per run and judge: outcome counts, probabilities, graded battles and base wins with text (overall, categories, agreement).
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
    battles                   HUGEINT,           -- sum(weight) of graded two-game judges, NULL for the others
    arena_score               DOUBLE,
    base_wins_with_text       BIGINT NOT NULL,   -- base wins whose item has both answers (what categories look at)
    base_wins_with_reference  BIGINT NOT NULL,
    PRIMARY KEY (run_id, judge)
);

-- Per run, judge and paper (is_unknown: the verdicts whose item is not in the data): outcome counts (papers).
CREATE TABLE summary_papers (
    run_id          INTEGER NOT NULL,
    judge           VARCHAR NOT NULL,
    paper           VARCHAR NOT NULL,
    is_unknown      BOOLEAN NOT NULL,
    judged          BIGINT NOT NULL,
    base_wins       BIGINT NOT NULL,
    finetuned_wins  BIGINT NOT NULL,
    ties            BIGINT NOT NULL,
    invalid         BIGINT NOT NULL,
    PRIMARY KEY (run_id, judge, paper, is_unknown)
);

-- Items with text per run and paper (overall, papers).
CREATE TABLE summary_paper_items (
    run_id  INTEGER NOT NULL,
    paper   VARCHAR NOT NULL,
    items   BIGINT NOT NULL,
    PRIMARY KEY (run_id, paper)
);

-- Failure-category hits per run, judge, paper and category (categories, paper_categories).
CREATE TABLE summary_categories (
    run_id    INTEGER NOT NULL,
    judge     VARCHAR NOT NULL,
    paper     VARCHAR NOT NULL,
    category  VARCHAR NOT NULL,
    hits      BIGINT NOT NULL,
    PRIMARY KEY (run_id, judge, paper, category)
);

-- Two judges of a run on the items both judged (judge_agreement).
CREATE TABLE summary_judge_pairs (
    run_id              INTEGER NOT NULL,
    judge_a             VARCHAR NOT NULL,
    judge_b             VARCHAR NOT NULL,
    common_items        BIGINT NOT NULL,
    agree               BIGINT NOT NULL,
    a_base_b_finetuned  BIGINT NOT NULL,
    a_finetuned_b_base  BIGINT NOT NULL,
    one_tie             BIGINT NOT NULL,
    PRIMARY KEY (run_id, judge_a, judge_b)
);

-- The items two judges of a run disagree on, with what the report shows; ord is the report's order within the run.
CREATE TABLE summary_disagreements (
    run_id        INTEGER NOT NULL,
    ord           BIGINT NOT NULL,
    judge_a       VARCHAR NOT NULL,
    judge_b       VARCHAR NOT NULL,
    item_key      VARCHAR NOT NULL,
    paper         VARCHAR,
    question      VARCHAR,
    winner_a      VARCHAR NOT NULL,
    winner_b      VARCHAR NOT NULL,
    confidence_a  DOUBLE,
    confidence_b  DOUBLE
);

-- Every two (run, judge) verdict sets over their common items, (run name, judge) of a before b (paired_comparison).
CREATE TABLE summary_paired (
    run_a       INTEGER NOT NULL,
    judge_a     VARCHAR NOT NULL,
    run_b       INTEGER NOT NULL,
    judge_b     VARCHAR NOT NULL,
    n           BIGINT NOT NULL,
    rate_a      DOUBLE,
    rate_b      DOUBLE,
    changed     BIGINT NOT NULL,
    flips_to_b  BIGINT NOT NULL,
    flips_to_a  BIGINT NOT NULL,
    difference  DOUBLE,
    se          DOUBLE,
    mcnemar_p   DOUBLE,
    PRIMARY KEY (run_a, judge_a, run_b, judge_b)
);

-- Judges that stored both orders: per run, judge and paper, the counts behind swap consistency, position and length bias (reliability).
CREATE TABLE summary_reliability (
    run_id              INTEGER NOT NULL,
    judge               VARCHAR NOT NULL,
    paper               VARCHAR NOT NULL,
    items               BIGINT NOT NULL,
    consistent_items    BIGINT NOT NULL,
    first_wins          BIGINT NOT NULL,     -- orders won by the answer shown first (both orders counted)
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
