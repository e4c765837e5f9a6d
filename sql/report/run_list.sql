-- Runs in the database with their size, judges, source files (file names and hashes; full paths are in the sources table),
-- the two models' names where the data gives them, and what an item's group is (paper, dataset, cluster, category).
-- Item and verdict counts come from summary_paper_items and summary_judges.
SELECT r.name AS run, r.synthetic, r.declared_items,
       r.base_model, r.finetuned_model, coalesce(r.group_label, 'paper') AS group_label,
       coalesce((SELECT sum(p.items) FROM summary_paper_items p WHERE p.run_id = r.run_id), 0)::BIGINT AS items_with_text,
       coalesce((SELECT sum(j.judged) FROM summary_judges j WHERE j.run_id = r.run_id), 0)::BIGINT AS verdicts,
       (SELECT string_agg(DISTINCT judge, ', ' ORDER BY judge) FROM summary_judges j WHERE j.run_id = r.run_id) AS judges,
       (SELECT string_agg(s.format || ':' || regexp_extract(s.path, '[^/\\]+$') || ' sha256:' || left(s.sha256, 12), '; ' ORDER BY s.source_id)
          FROM sources s WHERE s.run_id = r.run_id) AS sources
FROM runs r
ORDER BY r.name;
