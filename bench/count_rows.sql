-- How many rows a report has, without handing them to Python: {view} is a report registered as a view.
SELECT count(*) FROM {view};
