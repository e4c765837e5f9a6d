// The names duckdb-browser.mjs imports from the npm package apache-arrow, taken from Arrow's
// browser bundle (arrow.js, a classic script the console loads first, which sets globalThis.Arrow).
const Arrow = globalThis.Arrow;
export const { RecordBatchReader, Table, Type, tableToIPC } = Arrow;
