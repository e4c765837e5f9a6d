// The SQL console: DuckDB-Wasm (console/duckdb/, served by this site, nothing from elsewhere) over
// the tables listed in console/console.json, under the names `reportgen query` uses. Values from
// the database reach the page as text (textContent), never as HTML. Browsers refuse module
// imports and workers to a page opened from a file, so there the page says how to open it and
// loads nothing.
(function () {
  "use strict";
  var here = new URL("./", document.currentScript.src); // the console/ folder
  var $ = function (id) { return document.getElementById(id); };
  var status = $("sql-status"), form = $("sql-form"), editor = $("sql-text"), runButton = $("sql-run");
  var csvButton = $("sql-csv"), meta = $("sql-meta"), errorBox = $("sql-error"), table = $("sql-result");
  var more = $("sql-more"), tableList = $("sql-tables");
  var SHOWN = 1000; // rows put in the page; the CSV has them all
  var Arrow = null, conn = null, busy = false, firstResult = true;
  var result = null; // {names, numeric, rows: [[{text, key}]], sortBy, ascending}
  if (!form) return;

  function say(text) { status.textContent = text; }
  function seconds(ms) { return (ms / 1000).toFixed(1) + " s"; }

  if (location.protocol !== "http:" && location.protocol !== "https:") {
    say("The SQL console runs DuckDB in a web worker, which browsers refuse to a page opened from a file: " +
        "serve the site with 'reportgen serve' (or publish it on GitHub Pages) and open sql.html there.");
    return;
  }

  function loadScript(url) {
    return new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = url;
      s.onload = resolve;
      s.onerror = function () { reject(new Error("could not load " + url)); };
      document.head.appendChild(s);
    });
  }

  function fetchOk(file) {
    return fetch(new URL(file, here)).then(function (r) {
      if (!r.ok) throw new Error("could not load " + file + " (HTTP " + r.status + ")");
      return r;
    });
  }

  // ---- values as text -------------------------------------------------------------------------
  function pad(n, width) { return String(n).padStart(width, "0"); }

  function decimalText(value, scale) {
    var digits = String(value).replace(/"/g, "");
    var negative = digits.charAt(0) === "-";
    if (negative) digits = digits.slice(1);
    if (scale > 0) {
      digits = digits.padStart(scale + 1, "0");
      digits = digits.slice(0, digits.length - scale) + "." + digits.slice(digits.length - scale);
    }
    return (negative ? "-" : "") + digits;
  }

  var UNIT_PER_SECOND = [1n, 1000n, 1000000n, 1000000000n]; // Arrow's TimeUnit: SECOND .. NANOSECOND

  // A fraction of a second: 6 digits (9 for nanoseconds), as Python and `reportgen query` show it.
  function fractionText(fraction, unit) {
    if (!fraction) return "";
    var digits = unit === 3 ? 9 : 6;
    return "." + pad(BigInt(fraction) * 10n ** BigInt(digits) / UNIT_PER_SECOND[unit], digits);
  }

  // A timestamp counted in ``unit`` since 1970 (a BigInt), in UTC.
  function timestampText(count, unit) {
    var per = UNIT_PER_SECOND[unit], seconds = count / per, fraction = count % per;
    if (fraction < 0n) { fraction += per; seconds -= 1n; }
    var d = new Date(Number(seconds) * 1000);
    return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1, 2) + "-" + pad(d.getUTCDate(), 2) + " " +
      pad(d.getUTCHours(), 2) + ":" + pad(d.getUTCMinutes(), 2) + ":" + pad(d.getUTCSeconds(), 2) +
      fractionText(fraction, unit);
  }

  // Whole seconds as HH:MM:SS (hours past 24 too, as an interval has them).
  function clockText(seconds) {
    return pad(Math.floor(seconds / 3600), 2) + ":" + pad(Math.floor(seconds / 60) % 60, 2) + ":" + pad(seconds % 60, 2);
  }

  // A time of day counted in ``unit`` since midnight: HH:MM:SS[.ffffff].
  function timeText(count, unit) {
    var per = UNIT_PER_SECOND[unit];
    return clockText(Number(count / per)) + fractionText(count % per, unit);
  }

  // An interval as DuckDB writes it: "1 year 2 months 3 days 04:05:06.789", "3 months", "-01:30:00".
  function intervalText(months, days, micros) {
    var parts = [], years = Math.trunc(months / 12);
    months -= years * 12;
    [[years, "year"], [months, "month"], [days, "day"]].forEach(function (p) {
      if (p[0]) parts.push(p[0] + " " + p[1] + (Math.abs(p[0]) === 1 ? "" : "s"));
    });
    if (micros || !parts.length) {
      var negative = micros < 0n, us = negative ? -micros : micros, seconds = Number(us / 1000000n);
      var fraction = us % 1000000n ? "." + pad(us % 1000000n, 6).replace(/0+$/, "") : "";
      parts.push((negative ? "-" : "") + clockText(seconds) + fraction);
    }
    return parts.join(" ");
  }

  // The chunk of ``vector`` holding its value ``i``, and that value's position in the chunk's buffer.
  function rawAt(vector, i) {
    for (var c = 0; c < vector.data.length; c++) {
      var data = vector.data[c];
      if (i < data.length) return { data: data, at: data.offset + i };
      i -= data.length;
    }
  }

  // Arrow's JavaScript reads an interval's months and days only, or misreads them (MONTH_DAY_NANO), so
  // the interval is read from its buffer: months, days and nanoseconds (Int32, Int32, Int64) for
  // MONTH_DAY_NANO, the one DuckDB writes; days and milliseconds for DAY_TIME; months for YEAR_MONTH.
  function intervalAt(vector, i) {
    var raw = rawAt(vector, i), v = raw.data.values, unit = vector.type.unit;
    if (unit === 2) {
      var nanos = (BigInt(v[raw.at * 4 + 3]) << 32n) + BigInt(v[raw.at * 4 + 2] >>> 0);
      return intervalText(v[raw.at * 4], v[raw.at * 4 + 1], nanos / 1000n);
    }
    if (unit === 1) return intervalText(0, v[raw.at * 2], BigInt(v[raw.at * 2 + 1]) * 1000n);
    return intervalText(v[raw.at], 0, 0n);
  }

  // A BLOB as DuckDB writes it: printable ASCII as it is, other bytes (and \ ' ") as \xHH.
  function blobText(bytes) {
    return Array.from(bytes, function (b) {
      return b >= 32 && b <= 126 && b !== 92 && b !== 39 && b !== 34 ? String.fromCharCode(b)
        : "\\x" + pad(b.toString(16).toUpperCase(), 2);
    }).join("");
  }

  // DuckDB sends the types Arrow lacks as "arrow.opaque" binary with the DuckDB type's name.
  function opaqueType(field) {
    var meta = field.metadata;
    if (!meta || meta.get("ARROW:extension:name") !== "arrow.opaque") return null;
    try { return JSON.parse(meta.get("ARROW:extension:metadata")).type_name || "?"; } catch (e) { return "?"; }
  }

  // The value ``i`` of an Arrow vector (of ``field``) as text; null for NULL. The types whose value
  // cannot be shown say so, and how to see it, rather than show something else.
  function textAt(vector, i, field) {
    if (!vector.isValid(i)) return null;
    var T = Arrow.Type, type = vector.type;
    switch (type.typeId) {
      case T.Interval: return intervalAt(vector, i);
      case T.Timestamp:
        var raw = rawAt(vector, i);
        return timestampText(BigInt(raw.data.values[raw.at]), type.unit) + (type.timezone ? "+00" : "");
      case T.Time: return timeText(BigInt(vector.get(i)), type.unit);
      case T.List: case T.FixedSizeList:
        var items = vector.get(i), child = type.children[0], texts = [];
        for (var j = 0; j < items.length; j++) {
          var t = textAt(items, j, child);
          texts.push(t === null ? "NULL" : t);
        }
        return "[" + texts.join(", ") + "]";
      case T.Struct:
        return "{" + type.children.map(function (f, k) {
          var t = textAt(vector.getChildAt(k), i, f);
          return f.name + ": " + (t === null ? "NULL" : t);
        }).join(", ") + "}";
      case T.Binary: case T.LargeBinary: case T.FixedSizeBinary:
        var opaque = opaqueType(field), bytes = vector.get(i);
        if (opaque === "uhugeint" && bytes.length === 16) {
          return String(Array.from(bytes).reduceRight(function (n, b) { return n * 256n + BigInt(b); }, 0n));
        }
        if (opaque) return "(a " + opaque.toUpperCase() + " value, which the console cannot show: cast it to VARCHAR)";
        return blobText(bytes);
      case T.Decimal: return decimalText(vector.get(i), type.scale);
      case T.Date: return timestampText(BigInt(vector.get(i)), 1).slice(0, -9); // milliseconds, at midnight
      default: return String(vector.get(i));
    }
  }

  function isNumeric(type) {
    var T = Arrow.Type;
    return [T.Int, T.Float, T.Decimal].indexOf(type.typeId) !== -1;
  }

  // ---- running a query ------------------------------------------------------------------------
  function read(arrowTable) {
    var fields = arrowTable.schema.fields;
    var columns = fields.map(function (f, i) { return arrowTable.getChildAt(i); });
    var numeric = fields.map(function (f) { return isNumeric(f.type); });
    var rows = [];
    for (var r = 0; r < arrowTable.numRows; r++) {
      rows.push(columns.map(function (col, i) {
        var text = textAt(col, r, fields[i]);
        return { text: text, key: text === null ? null : numeric[i] ? Number(text) : text.toLowerCase() };
      }));
    }
    return { names: fields.map(function (f) { return f.name; }), numeric: numeric, rows: rows, sortBy: -1, ascending: true };
  }

  function show() {
    table.textContent = "";
    var head = table.createTHead().insertRow();
    result.names.forEach(function (name, i) {
      var th = document.createElement("th");
      if (result.numeric[i]) th.className = "num";
      if (result.sortBy === i) th.setAttribute("aria-sort", result.ascending ? "ascending" : "descending");
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = name;
      button.addEventListener("click", function () { sortBy(i); });
      th.appendChild(button);
      head.appendChild(th);
    });
    var body = table.createTBody();
    result.rows.slice(0, SHOWN).forEach(function (row) {
      var tr = body.insertRow();
      row.forEach(function (cell, i) {
        var td = tr.insertCell();
        if (cell.text === null) { td.className = "null"; td.textContent = "NULL"; }
        else { td.textContent = cell.text; if (result.numeric[i]) td.className = "num"; }
      });
    });
    more.hidden = result.rows.length <= SHOWN;
    more.textContent = "Showing the first " + SHOWN + " rows; the CSV has all " + result.rows.length + ".";
  }

  function sortBy(index) {
    result.ascending = result.sortBy === index ? !result.ascending : true;
    result.sortBy = index;
    var sign = result.ascending ? 1 : -1;
    result.rows.sort(function (a, b) {
      var x = a[index].key, y = b[index].key;
      if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1; // NULLs last
      return sign * (x < y ? -1 : x > y ? 1 : 0);
    });
    show();
  }

  function run() {
    var sql = editor.value;
    if (!conn || busy || !sql.trim()) return;
    busy = true;
    runButton.disabled = true;
    history.replaceState(null, "", "?" + new URLSearchParams({ sql: sql }).toString());
    errorBox.hidden = true;
    meta.textContent = "Running…";
    var started = performance.now();
    conn.query(sql).then(function (arrowTable) {
      var took = performance.now() - started;
      result = read(arrowTable);
      show();
      var n = result.rows.length;
      meta.textContent = n + (n === 1 ? " row" : " rows") + " in " + Math.max(1, Math.round(took)) + " ms";
      csvButton.disabled = false;
      if (firstResult) {
        firstResult = false;
        performance.mark("reportgen-sql-first-result");
      }
    }).catch(function (e) {
      result = null;
      table.textContent = "";
      more.hidden = true;
      csvButton.disabled = true;
      meta.textContent = "";
      errorBox.textContent = errorText(String(e && e.message || e));
      errorBox.hidden = false;
    }).then(function () { busy = false; runButton.disabled = false; });
  }

  // DuckDB-Wasm's message for a parser error holds its "LINE 1: ... ^" block twice: shown once.
  function errorText(message) {
    return message.split("\n\n").filter(function (block, i, blocks) { return i === 0 || block !== blocks[i - 1]; })
      .join("\n\n");
  }

  function csvField(text) {
    if (text === null) return "";
    return /[",\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }

  function downloadCsv() {
    if (!result) return;
    var lines = [result.names.map(csvField).join(",")].concat(result.rows.map(function (row) {
      return row.map(function (cell) { return csvField(cell.text); }).join(",");
    }));
    var url = URL.createObjectURL(new Blob([lines.join("\r\n") + "\r\n"], { type: "text/csv" }));
    var a = document.createElement("a");
    a.href = url;
    a.download = "query.csv";
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
  }

  // ---- the table list -------------------------------------------------------------------------
  function listTables(manifest, columns) {
    var byTable = {};
    read(columns).rows.forEach(function (row) {
      (byTable[row[0].text] = byTable[row[0].text] || []).push([row[1].text, row[2].text]);
    });
    var known = manifest.tables.map(function (t) { return t.name; });
    var entries = manifest.tables.map(function (t) { return { name: t.name, note: t.kind + ", " + t.rows + (t.rows === 1 ? " row" : " rows") }; });
    Object.keys(byTable).sort().forEach(function (name) {
      if (known.indexOf(name) === -1) entries.push({ name: name, note: "view" });
    });
    tableList.textContent = "";
    entries.forEach(function (entry) {
      var li = document.createElement("li");
      var details = document.createElement("details");
      var summary = document.createElement("summary");
      var code = document.createElement("code");
      code.textContent = entry.name;
      var note = document.createElement("span");
      note.className = "sql-kind";
      note.textContent = " " + entry.note;
      summary.append(code, note);
      var ul = document.createElement("ul");
      (byTable[entry.name] || []).forEach(function (c) {
        var item = document.createElement("li");
        var name = document.createElement("code");
        name.textContent = c[0];
        var type = document.createElement("span");
        type.className = "sql-kind";
        type.textContent = " " + c[1];
        item.append(name, type);
        ul.appendChild(item);
      });
      details.append(summary, ul);
      li.appendChild(details);
      tableList.appendChild(li);
    });
  }

  // ---- start ----------------------------------------------------------------------------------
  async function start() {
    say("Loading DuckDB-Wasm (about 34 MB the first time; the browser keeps it afterwards)…");
    var manifest = fetchOk("console.json").then(function (r) { return r.json(); });
    manifest.catch(function () {}); // awaited below, where a failure is reported
    await loadScript(new URL("duckdb/arrow.js", here).href);
    Arrow = window.Arrow;
    var duckdb = await import(new URL("duckdb/duckdb-browser.mjs", here).href);
    var worker = new Worker(new URL("duckdb/duckdb-browser-eh.worker.js", here).href);
    var db = new duckdb.AsyncDuckDB(new duckdb.VoidLogger(), worker);
    await db.instantiate(new URL("duckdb/duckdb-eh.wasm", here).href, null);
    await db.open({});
    conn = await db.connect();
    manifest = await manifest;
    say("Loading the tables…");
    var buffers = await Promise.all(manifest.tables.map(function (t) { // gzipped Arrow IPC streams
      return fetchOk(t.file).then(function (r) {
        return new Response(r.body.pipeThrough(new DecompressionStream("gzip"))).arrayBuffer();
      });
    }));
    for (var i = 0; i < buffers.length; i++) {
      await conn.insertArrowFromIPCStream(new Uint8Array(buffers[i]), { name: manifest.tables[i].name, create: true });
    }
    for (var s of manifest.setup.concat(manifest.lock)) await conn.query(s);
    listTables(manifest, await conn.query(manifest.columns));
    say("Ready: DuckDB " + manifest.duckdb + " (DuckDB-Wasm " + manifest.duckdb_wasm + ") with " +
        manifest.tables.length + " tables, loaded in " +
        seconds(performance.now()) + ". Everything runs in this browser; the tables are a copy, so changes are not kept.");
    runButton.disabled = false;
    document.querySelectorAll(".sql-example-run").forEach(function (b) { b.disabled = false; });
  }

  form.addEventListener("submit", function (e) { e.preventDefault(); run(); });
  editor.addEventListener("keydown", function (e) {
    if ((e.ctrlKey || e.metaKey) && e.key === "Enter") { e.preventDefault(); run(); }
  });
  csvButton.addEventListener("click", downloadCsv);
  document.querySelectorAll(".sql-example-run").forEach(function (button) {
    button.addEventListener("click", function () {
      editor.value = button.parentNode.querySelector(".sql-example-text").textContent;
      run();
    });
  });
  var shared = new URLSearchParams(location.search).get("sql");
  if (shared) editor.value = shared;
  start().then(function () { if (shared) run(); }).catch(function (e) {
    say("The SQL console could not start: " + (e && e.message || e));
  });
})();
