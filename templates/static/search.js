// Search over the transcripts with Pagefind, filtered by paper and category.
// Pagefind fetches its index, which browsers refuse for pages opened from a file, so on
// file:// this script leaves the page's note in place and loads nothing.
(function () {
  "use strict";
  var script = document.currentScript;
  var status = document.getElementById("search-status");
  var form = document.getElementById("search-form");
  var input = document.getElementById("q");
  var results = document.getElementById("search-results");
  var selects = { paper: document.getElementById("f-paper"), category: document.getElementById("f-category") };
  if (!form || location.protocol === "file:") return;
  var siteRoot = new URL("../", script.src);
  var pagefind = null;

  function say(text) { status.textContent = text; }

  // Pagefind's excerpt is escaped text with <mark> around hits; keep the text and the marks only.
  function excerptNode(html) {
    var doc = new DOMParser().parseFromString("<body>" + html + "</body>", "text/html");
    var p = document.createElement("p");
    doc.body.childNodes.forEach(function (n) {
      if (n.nodeType === 1 && n.nodeName === "MARK") {
        var m = document.createElement("mark");
        m.textContent = n.textContent;
        p.appendChild(m);
      } else {
        p.appendChild(document.createTextNode(n.textContent));
      }
    });
    return p;
  }

  function fill(select, values) {
    Object.keys(values).sort().forEach(function (v) {
      var o = document.createElement("option");
      o.value = v;
      o.textContent = v + " (" + values[v] + ")";
      select.appendChild(o);
    });
  }

  function run() {
    if (!pagefind) return;  // runs again once the index is loaded
    var q = input.value.trim();
    var filters = {};
    Object.keys(selects).forEach(function (k) { if (selects[k].value) filters[k] = selects[k].value; });
    var params = new URLSearchParams();
    if (q) params.set("q", q);
    Object.keys(filters).forEach(function (k) { params.set(k, filters[k]); });
    history.replaceState(null, "", "?" + params.toString());
    if (!q && !Object.keys(filters).length) { results.textContent = ""; say("Type words, or pick a paper or category."); return; }
    say("Searching…");
    pagefind.search(q || null, { filters: filters }).then(function (search) {
      return Promise.all(search.results.slice(0, 50).map(function (r) { return r.data(); })).then(function (items) {
        results.textContent = "";
        items.forEach(function (d) {
          var li = document.createElement("li");
          var a = document.createElement("a");
          a.href = new URL(d.url, location.href).href;  // Pagefind's URLs start with the site's base path
          a.textContent = (d.meta && d.meta.title) || d.url;
          li.appendChild(a);
          li.appendChild(excerptNode(d.excerpt || ""));
          results.appendChild(li);
        });
        say(search.results.length + " transcript" + (search.results.length === 1 ? "" : "s") + " found" +
            (search.results.length > 50 ? ", showing 50" : "") + ".");
      });
    }).catch(function (e) { say("Search failed: " + e.message); });
  }

  form.addEventListener("submit", function (e) { e.preventDefault(); run(); });
  input.addEventListener("input", run);
  Object.keys(selects).forEach(function (k) { selects[k].addEventListener("change", run); });
  say("Loading the search index…");
  import(new URL("pagefind/pagefind.js", siteRoot).href).then(function (pf) {
    pagefind = pf;
    return Promise.resolve(pf.options({ baseUrl: siteRoot.pathname })).then(function () { return pf.filters(); });
  }).then(function (filters) {
    fill(selects.paper, filters.paper || {});
    fill(selects.category, filters.category || {});
    var params = new URLSearchParams(location.search);
    if (params.get("q") && !input.value) input.value = params.get("q");
    Object.keys(selects).forEach(function (k) { if (params.get(k)) selects[k].value = params.get(k); });
    if (input.value || selects.paper.value || selects.category.value) run(); else say("Type words, or pick a paper or category.");
  }).catch(function (e) { say("The search index could not be loaded (" + e.message + ")."); });
})();
