-- Whether a run's prompts are the same under the earlier bundled pairwise.j2 as under today's: a run grouped by paper whose items all have a reference answer.
SELECT r.group_label IS NULL AND NOT EXISTS (
           SELECT 1 FROM items i WHERE i.run_id = r.run_id AND i.reference_answer IS NULL)
FROM runs r WHERE r.run_id = $run_id;
