-- Local/endpoint pairwise judge: what each judge of a run was (model, hashes, parameters) and its per-order probabilities.
CREATE TABLE judges (
    run_id           INTEGER NOT NULL,
    judge            VARCHAR NOT NULL,     -- local:<model file stem> | endpoint:<model name>
    backend          VARCHAR NOT NULL,     -- local | endpoint
    model            VARCHAR NOT NULL,     -- model file name (local) or served model name (endpoint)
    model_sha256     VARCHAR,              -- NULL when the model is behind an endpoint
    template         VARCHAR NOT NULL,     -- judge prompt template file name
    template_sha256  VARCHAR NOT NULL,     -- of the judge template together with the chat template it was rendered with
    parameters       VARCHAR NOT NULL,     -- JSON: thresholds, context size, threads, seed, endpoint URL ...
    started_at       TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (run_id, judge)
);

CREATE TABLE judge_orders (
    run_id            INTEGER NOT NULL,
    judge             VARCHAR NOT NULL,
    item_key          VARCHAR NOT NULL,
    ord               TINYINT NOT NULL CHECK (ord IN (1, 2)),   -- 1: base answer shown first; 2: fine-tuned first
    first_answer      VARCHAR NOT NULL CHECK (first_answer IN ('base', 'finetuned')),
    p_first           DOUBLE,              -- P(first answer better), normalised over the two letters
    letter_mass       DOUBLE,              -- probability the model put on the two letters at all
    prompt_tokens     INTEGER,             -- tokens of the whole prompt
    evaluated_tokens  INTEGER,             -- tokens actually evaluated (the rest came from the reused prefix)
    seconds           DOUBLE,
    PRIMARY KEY (run_id, judge, item_key, ord)
);
