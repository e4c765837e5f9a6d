-- Single-answer grading (FastChat MT-bench --mode single): each model's grade of each question-turn, as the file
-- wrote it (score NULL where the judge gave -1 or none). The MT-bench scores are means of these (report mt_bench_scores).
CREATE TABLE IF NOT EXISTS grades (
    run_id      INTEGER NOT NULL,
    judge       VARCHAR NOT NULL,
    item_key    VARCHAR NOT NULL,
    side        VARCHAR NOT NULL CHECK (side IN ('base', 'finetuned')),
    model       VARCHAR NOT NULL,
    turn        INTEGER NOT NULL,
    score       DOUBLE,
    judgment    VARCHAR,
    source_line INTEGER,
    PRIMARY KEY (run_id, judge, item_key, side)
);
