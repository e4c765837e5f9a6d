-- Template: expose a report query to ad-hoc SQL as a temporary view ({view} and {query} are filled from sql/report/).
CREATE OR REPLACE TEMP VIEW {view} AS {query};
