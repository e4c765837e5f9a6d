-- One row per base-win transcript (an item the base model won under any judge) of $run (NULL: every run), with what
-- lists of transcripts show and a digest of everything its own page shows besides that (summary_transcripts: see
-- sql/store/refresh_transcripts.sql), in the order the site lists them (gathering takes it as it is): by paper,
-- then CSV position.
SELECT r.name AS run, s.item_key, s.seq, s.paper, s.question, s.position, s.categories, s.digest, s.key_byte,
       s.data_chars
FROM summary_transcripts s
JOIN runs r USING (run_id)
WHERE $run IS NULL OR r.name = $run
ORDER BY r.name, s.paper, s.position NULLS LAST, s.seq, s.item_key;
