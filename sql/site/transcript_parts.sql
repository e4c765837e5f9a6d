-- How many parts data/transcripts/ is written in for $run (NULL: every run): the smallest power of two that keeps
-- the answers' text of a part (by the lengths stored in summary_item_text) under $part_chars characters on average,
-- at most $max_parts (256 at most). A transcript's part is the first byte of the MD5 of its item key modulo parts:
-- md5_number(item_key) & 255 (md5_number reads the digest little-endian; & keeps the byte where DuckDB before 1.3
-- made it a signed number), as an integer, % parts (site/transcript_rows, reportgen.site.data.part_of; the 128-bit
-- number modulo a parameter would be computed as a DOUBLE).
-- An item stays in its part while the count stays, so a rebuild after one changed verdict writes one part again,
-- not every transcript's text.
SELECT CAST(least($max_parts, 2 ** ceil(log2(greatest(1.0, coalesce(sum(
           coalesce(d.len_reference, 0) + coalesce(d.len_base, 0) + coalesce(d.len_finetuned, 0)), 0) / $part_chars))))
       AS INTEGER) AS parts
FROM base_wins b
JOIN runs r USING (run_id)
JOIN summary_item_text d USING (run_id, item_key)
WHERE $run IS NULL OR r.name = $run;
