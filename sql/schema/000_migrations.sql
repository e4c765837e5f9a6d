-- Bookkeeping table of applied migrations (applied before every other file of sql/schema/).
CREATE TABLE IF NOT EXISTS schema_migrations (
    version  INTEGER PRIMARY KEY,
    name     VARCHAR NOT NULL
);
