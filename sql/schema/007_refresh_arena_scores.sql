-- No change of schema: sql/store/refresh_summaries.sql left the Arena-Hard score NULL where the fine-tuned model won
-- no battle (0 for it, or 0.5 when every game was a tie). A migration recomputes every run's summaries (store.migrate),
-- so a database written before the fix holds the right scores once it is opened for writing.
SELECT 1;
