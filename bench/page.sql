-- The first page of a report (what a reader sees first): {view} is a report registered as a view.
SELECT * FROM {view} LIMIT 50;
