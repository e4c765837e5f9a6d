-- Fine-tuned answer's citation names a title other than the paper the question is about.
WITH cited AS (
    SELECT run_id, judge, item_key, paper,
           -- only an answer with a "Source:" or "References:" line cites anything (a cheaper test first)
           CASE WHEN regexp_matches(finetuned_answer, '(?im)^[\s*#_]*(?:sources?|references?)\s*[:*]')
                THEN regexp_extract(finetuned_answer, '(?ims)^[\s*#_]*(?:sources?|references?)\s*[:*]+(.*)$', 1)
           END AS citation
    FROM base_wins
    WHERE run_id = $run_id
), titled AS (
    SELECT *,
           list_distinct(list_filter(regexp_split_to_array(lower(paper), '[^a-z0-9]+'),
                                     lambda w: length(w) > 3)) AS title_words
    FROM cited
    WHERE citation <> ''
      -- the citation has a title of its own: quoted, an all-caps line, or "(2023)." style
      AND (regexp_matches(citation, '"[^"\n]{15,}"')
           OR regexp_matches(citation, '(?m)^[\s*]*[A-Z][A-Z0-9 :,\-]{20,}$')
           OR regexp_matches(citation, '\(\d{4}\w?\)\.'))
), scored AS (
    SELECT *,
           length(list_filter(title_words, lambda w: strpos(lower(citation), w) > 0))
               / greatest(length(title_words), 1) AS title_share
    FROM titled
)
SELECT run_id, judge, item_key,
       printf('cites %s (shares %d %% of the asked title''s words)',
              left(trim(regexp_replace(citation, '[\s*]+', ' ', 'g')), 100),
              round(100 * title_share)::INTEGER) AS evidence
FROM scored
WHERE title_share < 0.5;
