-- Fine-tuned answer's citation names a title other than the paper the question is about.
WITH cited AS (
    SELECT run_id, judge, item_key,
           regexp_extract(finetuned_answer, '(?ims)^[\s*#_]*(?:sources?|references?)\s*[:*]+(.*)$', 1) AS citation,
           list_distinct(list_filter(regexp_split_to_array(lower(paper), '[^a-z0-9]+'),
                                     lambda w: length(w) > 3)) AS title_words
    FROM base_wins
    WHERE run_id = $run_id
), scored AS (
    SELECT *,
           length(list_filter(title_words, lambda w: strpos(lower(citation), w) > 0))
               / greatest(length(title_words), 1) AS title_share
    FROM cited
    WHERE citation <> ''
      -- the citation has a title of its own: quoted, an all-caps line, or "(2023)." style
      AND (regexp_matches(citation, '"[^"\n]{15,}"')
           OR regexp_matches(citation, '(?m)^[\s*]*[A-Z][A-Z0-9 :,\-]{20,}$')
           OR regexp_matches(citation, '\(\d{4}\w?\)\.'))
)
SELECT run_id, judge, item_key,
       printf('cites %s (shares %d %% of the asked title''s words)',
              left(trim(regexp_replace(citation, '[\s*]+', ' ', 'g')), 100),
              round(100 * title_share)::INTEGER) AS evidence
FROM scored
WHERE title_share < 0.5;
