-- Read an items CSV as text columns (header row required; RFC 4180 quoting, CRLF and BOM accepted).
SELECT *
FROM read_csv($path, header = true, all_varchar = true, strict_mode = true,
              delim = ',', quote = '"', escape = '"', encoding = 'utf-8');
