-- Items of a run to judge, in CSV order: those without a verdict of $judge, or (--rejudge: $redo_below set) whose verdict of $judge is older than the rejudge (seq below $redo_below); optionally only papers containing $paper.
SELECT i.item_key, i.paper, i.question, i.reference_answer, i.base_answer, i.finetuned_answer, r.group_label
FROM items i
JOIN runs r ON r.run_id = i.run_id
WHERE i.run_id = $run_id
  AND ($paper IS NULL OR i.paper ILIKE '%' || $paper || '%')
  AND NOT EXISTS (
        SELECT 1 FROM verdicts v WHERE v.run_id = i.run_id AND v.judge = $judge AND v.item_key = i.item_key
                                   AND v.seq >= coalesce($redo_below, -1))
ORDER BY i.position NULLS LAST, i.item_key;
