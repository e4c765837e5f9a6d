-- The first page of a report (what a reader or `stats` shows first): {view} is a report registered as a view.
SELECT * FROM {view} LIMIT 50;
