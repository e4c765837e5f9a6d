// Search over the transcripts: words with Pagefind, and filters by paper and category from
// search-data.js (a plain script, so filtering works even for a page opened from a file).
// Pagefind fetches its index, which browsers refuse for pages opened from a file, so on
// file:// word search explains itself and nothing is fetched.
(function () {
  "use strict";
  var script = document.currentScript;
  var status = document.getElementById("search-status");
  var form = document.getElementById("search-form");
  var input = document.getElementById("q");
  var results = document.getElementById("search-results");
  var selects = { paper: document.getElementById("f-paper"), category: document.getElementById("f-category") };
  var pages = window.REPORTGEN_PAGES || [];
  if (!form) return;
  var siteRoot = new URL("../", script.src);
  var served = location.protocol === "http:" || location.protocol === "https:";
  var wantsIndex = script.getAttribute("data-index") === "yes";
  var pagefind = null;
  var loading = null;
  var generation = 0;
  var LIMIT = 50;

  function say(text) { status.textContent = text; }

  function fill(select, counts) {
    Object.keys(counts).sort().forEach(function (v) {
      var o = document.createElement("option");
      o.value = v;
      o.textContent = v + " (" + counts[v] + ")";
      select.appendChild(o);
    });
  }
  var papers = {}, categories = {};
  pages.forEach(function (p) {
    papers[p.paper] = (papers[p.paper] || 0) + 1;
    p.categories.forEach(function (c) { categories[c] = (categories[c] || 0) + 1; });
  });
  fill(selects.paper, papers);
  fill(selects.category, categories);

  function matches(p) {
    return (!selects.paper.value || p.paper === selects.paper.value) &&
           (!selects.category.value || p.categories.indexOf(selects.category.value) !== -1);
  }

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

  function show(items, total) {
    results.textContent = "";
    items.slice(0, LIMIT).forEach(function (item) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = new URL(item.url, siteRoot).href;
      a.textContent = item.title;
      li.appendChild(a);
      if (item.excerpt !== undefined) li.appendChild(excerptNode(item.excerpt));
      var meta = document.createElement("span");
      meta.className = "meta";
      meta.textContent = [item.paper].concat(item.categories).join(" · ");
      li.appendChild(meta);
      results.appendChild(li);
    });
    say(total + " transcript" + (total === 1 ? "" : "s") + " found" + (total > LIMIT ? ", showing " + LIMIT : "") + ".");
  }

  function loadIndex() {
    if (!loading) {
      loading = import(new URL("pagefind/pagefind.js", siteRoot).href).then(function (pf) {
        return Promise.resolve(pf.options({ baseUrl: siteRoot.pathname })).then(function () { pagefind = pf; return pf; });
      });
    }
    return loading;
  }

  function run() {
    var q = input.value.trim();
    var mine = ++generation;
    var params = new URLSearchParams();
    if (q) params.set("q", q);
    Object.keys(selects).forEach(function (k) { if (selects[k].value) params.set(k, selects[k].value); });
    history.replaceState(null, "", "?" + params.toString());
    if (!q) {
      if (!selects.paper.value && !selects.category.value) { results.textContent = ""; say("Type words, or pick a paper or category."); return; }
      var found = pages.filter(matches);
      show(found, found.length);
      return;
    }
    if (!wantsIndex) { say("This site was built without a search index; pick a paper or a category instead."); return; }
    if (!served) { say("Word search needs the site served over http(s), e.g. by 'reportgen serve' or GitHub Pages; the paper and category filters work here."); return; }
    say("Searching…");
    var byUrl = {};
    pages.forEach(function (p) { byUrl[p.url] = p; });
    loadIndex().then(function (pf) { return pf.search(q); }).then(function (search) {
      return Promise.all(search.results.slice(0, 500).map(function (r) { return r.data(); }));
    }).then(function (datas) {
      if (mine !== generation) return;
      var found = [];
      datas.forEach(function (d) {
        var href = new URL(d.url, location.href).href;
        var rel = href.indexOf(siteRoot.href) === 0 ? href.slice(siteRoot.href.length) : href;
        var p = byUrl[rel];
        if (p && matches(p)) found.push({ url: p.url, title: p.title, paper: p.paper, categories: p.categories, excerpt: d.excerpt || "" });
      });
      show(found, found.length);
    }).catch(function (e) { if (mine === generation) say("Search failed: " + e.message); });
  }

  var params = new URLSearchParams(location.search);
  if (params.get("q") && !input.value) input.value = params.get("q");
  Object.keys(selects).forEach(function (k) { if (params.get(k)) selects[k].value = params.get(k); });
  form.addEventListener("submit", function (e) { e.preventDefault(); run(); });
  input.addEventListener("input", run);
  Object.keys(selects).forEach(function (k) { selects[k].addEventListener("change", run); });
  if (input.value || selects.paper.value || selects.category.value) run();
  else say("Type words, or pick a paper or category." + (served || !wantsIndex ? "" : " Word search needs the site served over http(s) (reportgen serve, GitHub Pages); the filters work here."));
})();
