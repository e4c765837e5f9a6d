-- Template: one of the database's macros, created again in the SQL console ({name}, {parameters}, {table} and {definition} come from console/catalog_macros).
CREATE MACRO {name}({parameters}) AS {table}{definition};
