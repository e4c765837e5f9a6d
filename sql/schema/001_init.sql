-- Initial schema: runs, their source files, items, verdicts and failure-category hits.
CREATE SEQUENCE run_ids START 1;

CREATE TABLE runs (
    run_id          INTEGER PRIMARY KEY DEFAULT nextval('run_ids'),
    name            VARCHAR NOT NULL UNIQUE,
    -- "Loaded N finetune entries" of a judge log: how many items the run had, even
    -- when their text is not in the database.
    declared_items  INTEGER,
    synthetic       BOOLEAN NOT NULL DEFAULT false,
    created_at      TIMESTAMP NOT NULL DEFAULT current_timestamp
);

CREATE TABLE sources (
    run_id      INTEGER NOT NULL,
    source_id   INTEGER NOT NULL,
    path        VARCHAR NOT NULL,
    format      VARCHAR NOT NULL,      -- items-csv | judge-log | verdicts-jsonl
    sha256      VARCHAR NOT NULL,
    bytes       BIGINT NOT NULL,
    summary     VARCHAR NOT NULL,      -- one line: what was read and how it was matched
    PRIMARY KEY (run_id, source_id)
);

CREATE TABLE items (
    run_id            INTEGER NOT NULL,
    item_key          VARCHAR NOT NULL,
    position          INTEGER,         -- 0-based row of the items CSV; NULL when only a log carried it
    question          VARCHAR NOT NULL,
    paper             VARCHAR NOT NULL,
    reference_answer  VARCHAR NOT NULL,
    base_answer       VARCHAR NOT NULL,
    finetuned_answer  VARCHAR NOT NULL,
    source_id         INTEGER NOT NULL,
    source_line       INTEGER,
    PRIMARY KEY (run_id, item_key)
);

CREATE TABLE verdicts (
    run_id      INTEGER NOT NULL,
    judge       VARCHAR NOT NULL,
    seq         INTEGER NOT NULL,      -- order of the verdict within its judge's output
    item_key    VARCHAR,               -- NULL: the verdict's item is unknown ("source unknown")
    winner      VARCHAR NOT NULL CHECK (winner IN ('base', 'finetuned', 'tie', 'invalid')),
    confidence  DOUBLE,                -- probability that the winner is better, when the judge gives one
    rationale   VARCHAR,
    matched_by  VARCHAR NOT NULL,      -- transcript | position | key | unmatched
    source_id   INTEGER,
    source_line INTEGER,
    PRIMARY KEY (run_id, judge, seq)
);

CREATE TABLE item_categories (
    run_id    INTEGER NOT NULL,
    judge     VARCHAR NOT NULL,
    item_key  VARCHAR NOT NULL,
    category  VARCHAR NOT NULL,
    evidence  VARCHAR NOT NULL,
    PRIMARY KEY (run_id, judge, item_key, category)
);

-- 95 % Wilson score interval for k successes out of n.
CREATE MACRO wilson_low(k, n) AS CASE WHEN n > 0 THEN
    ((k / n) + 1.959963984540054 ^ 2 / (2 * n)
      - 1.959963984540054 * sqrt((k / n) * (1 - k / n) / n + 1.959963984540054 ^ 2 / (4 * n * n)))
    / (1 + 1.959963984540054 ^ 2 / n) END;
CREATE MACRO wilson_high(k, n) AS CASE WHEN n > 0 THEN
    ((k / n) + 1.959963984540054 ^ 2 / (2 * n)
      + 1.959963984540054 * sqrt((k / n) * (1 - k / n) / n + 1.959963984540054 ^ 2 / (4 * n * n)))
    / (1 + 1.959963984540054 ^ 2 / n) END;

-- Base wins with their text: what failure categories look at.
CREATE VIEW base_wins AS
SELECT v.run_id, v.judge, v.seq, v.confidence, v.rationale, i.*
       EXCLUDE (run_id)
FROM verdicts v
JOIN items i ON i.run_id = v.run_id AND i.item_key = v.item_key
WHERE v.winner = 'base';
