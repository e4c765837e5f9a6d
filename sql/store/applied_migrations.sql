-- Versions of the schema migrations already applied.
SELECT version FROM schema_migrations ORDER BY version;
