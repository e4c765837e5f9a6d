-- Facts that decide whether text-less log verdicts can be matched by position: the run's CSV rows, and the
-- transcripts whose matched item does not sit at the CSV position equal to their comparison index.
SELECT (SELECT count(*) FROM items WHERE run_id = $run_id AND position IS NOT NULL) AS csv_rows,
       (SELECT count(*) FROM transcript_match m
          LEFT JOIN items i ON i.run_id = $run_id AND i.item_key = m.item_key
         WHERE i.position IS DISTINCT FROM m.seq) AS disagreeing;
