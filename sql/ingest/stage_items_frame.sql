-- Stage an items CSV that polars read (a registered frame named csv_frame) when DuckDB's reader refused the file.
CREATE OR REPLACE TEMP TABLE staged_csv AS SELECT row_number() OVER () - 1 AS position, * FROM csv_frame;
