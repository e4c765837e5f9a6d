-- How the staged transcripts were matched: by text, by question alone, or added as new items.
SELECT count(*) FILTER (how = 'text') AS by_text, count(*) FILTER (how = 'question') AS by_question,
       count(*) FILTER (how = 'new') AS added
FROM transcript_match;
