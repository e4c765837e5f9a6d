-- Text normalisation and item keys as SQL macros, so an items CSV row and a judge-log transcript of the same question get the same key.
CREATE MACRO norm_text(t) AS lower(trim(regexp_replace(t, '\s+', ' ', 'g')));
CREATE MACRO item_key_of(question, paper) AS left(sha256(norm_text(paper) || chr(31) || norm_text(question)), 16);
