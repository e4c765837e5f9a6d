-- Let DuckDB sniff an items CSV's dialect without reading it all (fails when its reader would refuse the file).
DESCRIBE SELECT *
FROM read_csv($path, header = true, all_varchar = true, strict_mode = true, names = $names,
              delim = ',', quote = '"', escape = '"', encoding = 'utf-8');
