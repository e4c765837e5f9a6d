// Search over the transcripts with Pagefind: words, and filters by paper, category and run
// (Pagefind's own filters, recorded from the transcript pages). Results come a page at a time:
// Pagefind finds every match at once, but each shown result loads its own fragment (title,
// excerpt, filters), so only the PAGE results on screen are fetched.
// Pagefind fetches its index, which browsers refuse for pages opened from a file, so on
// file:// the page explains itself and nothing is fetched.
(function () {
  "use strict";
  var script = document.currentScript;
  var status = document.getElementById("search-status");
  var form = document.getElementById("search-form");
  var input = document.getElementById("q");
  var results = document.getElementById("search-results");
  var pager = document.getElementById("search-pages");
  var prev = document.getElementById("search-prev");
  var next = document.getElementById("search-next");
  var selects = { paper: document.getElementById("f-paper"), category: document.getElementById("f-category"),
                  run: document.getElementById("f-run") };
  if (!form) return;
  var siteRoot = new URL("../", script.src);
  var served = location.protocol === "http:" || location.protocol === "https:";
  var wantsIndex = script.getAttribute("data-index") === "yes";
  var PAGE = 20;
  var generation = 0;
  var found = [];  // every match of the current search: Pagefind's results, not yet loaded
  var offset = 0;  // the first shown result

  function say(text) { status.textContent = text; }

  if (!wantsIndex) {
    say("This site was built without a search index. Every transcript is listed on the index, by paper, and on the category pages.");
    return;
  }
  if (!served) {
    say("Search needs the site served over http(s), e.g. by 'reportgen serve' or GitHub Pages. Opened as a file, every transcript is listed on the index, by paper, and on the category pages.");
    return;
  }

  // Pagefind's search cannot match a filter value holding " or \ (its filters reach the index as
  // JSON and are compared unescaped), so the transcript pages give look-alikes for those (and spaces
  // for tabs and line breaks; Pagefind collapses runs of spaces). The reader and the address see the
  // names; Pagefind gets the values.
  function shown(value) { return value.replace(/\uff02/g, '"').replace(/\uff3c/g, "\\"); }
  function indexed(name) {
    return name.replace(/"/g, "\uff02").replace(/\\/g, "\uff3c").replace(/[\t\r\n]/g, " ")
      .replace(/\s{2,}/g, " ").trim();
  }

  function fill(select, counts) {
    Object.keys(counts || {}).sort().forEach(function (v) {
      var o = document.createElement("option");
      o.value = v;
      o.textContent = shown(v) + " (" + counts[v] + ")";
      select.appendChild(o);
    });
    select.disabled = false;
    // a filter with one value (the run of a one-run site) filters nothing
    if (select.options.length <= 2) select.parentNode.hidden = true;
  }

  function chosenFilters() {
    var f = {};
    Object.keys(selects).forEach(function (k) { if (selects[k].value) f[k] = selects[k].value; });
    return f;
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

  function item(d) {
    var li = document.createElement("li");
    var a = document.createElement("a");
    a.href = new URL(d.url, location.href).href;
    a.textContent = (d.meta && d.meta.title) || d.url;
    li.appendChild(a);
    if (d.excerpt) li.appendChild(excerptNode(d.excerpt));
    var f = d.filters || {};
    var meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = [].concat(f.paper || [], selects.run.parentNode.hidden ? [] : f.run || [], f.category || [])
      .map(shown).join(" · ");
    li.appendChild(meta);
    return li;
  }

  function remember() {
    var params = new URLSearchParams();
    if (input.value.trim()) params.set("q", input.value.trim());
    var f = chosenFilters();
    Object.keys(f).forEach(function (k) { params.set(k, shown(f[k])); });
    if (offset) params.set("page", String(offset / PAGE + 1));
    history.replaceState(null, "", "?" + params.toString());
  }

  // Load the results offset..offset+PAGE of the current search (PAGE fragments at most) and show them.
  function showPage(mine) {
    remember();
    return load().then(function (datas) { if (mine === generation) show(datas); });
  }

  function load() {
    return Promise.all(found.slice(offset, offset + PAGE).map(function (r) { return r.data(); }));
  }

  function show(datas) {
    results.textContent = "";
    datas.forEach(function (d) { results.appendChild(item(d)); });
    var total = found.length;
    say(total + " transcript" + (total === 1 ? "" : "s") + " found" +
        (total > PAGE ? ", showing " + (offset + 1) + "–" + (offset + datas.length) : "") + ".");
    pager.hidden = total <= PAGE;
    prev.disabled = offset === 0;
    next.disabled = offset + PAGE >= total;
  }

  // A search's words as Pagefind reads them: lower case, without punctuation or diacritics.
  function words(text) {
    return text.replace(/[\p{Pd}\p{Pe}\p{Pf}\p{Pi}\p{Po}\p{Ps}]/gu, "").toLocaleLowerCase().normalize("NFD")
      .replace(/\p{M}/gu, "").split(/\s+/).filter(Boolean);
  }

  // Pagefind finds a word that no page holds (nor any longer word it begins) by a shorter beginning of
  // it: "qwertyuiop" finds the pages holding "q". A word counts as found when a result matched a word
  // that begins with it ("transf": "transformers"), or, failing that, when an exact search for it
  // (Pagefind's "word", which also finds its other forms: "running", "runs") finds a page. Resolves to
  // the words not found, as they were typed.
  function notFound(pf, q, datas) {
    if (/"/.test(q)) return Promise.resolve([]);  // an exact search, which does not shorten its words
    var marked = [];  // the words the shown results matched (Pagefind's locations in its words of the page)
    datas.forEach(function (d) {
      var all = (d.content || "").split(/\s+/);
      (d.locations || []).forEach(function (at) { marked = marked.concat(words(all[at] || "")); });
    });
    return Promise.all(q.split(/\s+/).map(function (typed) {  // Pagefind drops punctuation, splitting nothing
      var w = words(typed)[0];
      if (!w || marked.some(function (m) { return m.indexOf(w) === 0; })) return null;
      return pf.search('"' + w + '"').then(function (s) { return s.results.length ? null : typed; });
    })).then(function (missing) { return missing.filter(Boolean); });
  }

  function fail(mine) {
    return function (e) { if (mine === generation) say("Search failed: " + e.message); };
  }

  function run(page, typing) {
    var q = input.value.trim();
    var f = chosenFilters();
    var mine = ++generation;
    if (!q && !Object.keys(f).length) {
      found = [];
      offset = 0;
      remember();
      results.textContent = "";
      pager.hidden = true;
      say("Type words, or pick a paper, a category or a run.");
      return;
    }
    say("Searching…");
    pagefind.then(function (pf) {
      // while words are being typed, only the last search loads results
      return typing ? pf.debouncedSearch(q || null, { filters: f }, 200) : pf.search(q || null, { filters: f });
    }).then(function (search) {
      if (search === null || mine !== generation) return;
      found = search.results;
      var last = Math.max(0, Math.ceil(found.length / PAGE) - 1);
      offset = Math.min(Math.max(0, (page || 1) - 1), last) * PAGE;
      remember();
      return load().then(function (datas) {
        return pagefind.then(function (pf) { return q && found.length ? notFound(pf, q, datas) : []; }).then(function (missing) {
          if (mine !== generation) return;
          if (!missing.length) return show(datas);
          found = [];
          offset = 0;
          results.textContent = "";
          pager.hidden = true;
          say("No transcript contains " + missing.map(function (w) { return "“" + w + "”"; }).join(", ") + ".");
        });
      });
    }).catch(fail(mine));
  }

  function turn(by) {
    var mine = ++generation;
    offset = Math.max(0, Math.min(offset + by * PAGE, found.length - 1));
    showPage(mine).then(function () { status.scrollIntoView({ block: "nearest" }); }).catch(fail(mine));
  }

  var params = new URLSearchParams(location.search);
  if (params.get("q") && !input.value) input.value = params.get("q");
  // The index is one Pagefind bundle, or above 2,000 pages one per shard (data-bundles): the first
  // is loaded and the others merged into it, so that a search looks in all of them.
  var bundles = (script.getAttribute("data-bundles") || "pagefind").split(" ");
  var pagefind = import(new URL(bundles[0] + "/pagefind.js", siteRoot).href).then(function (pf) {
    return Promise.resolve(pf.options({ baseUrl: siteRoot.pathname })).then(function () {
      return Promise.all(bundles.slice(1).map(function (b) {
        return pf.mergeIndex(new URL(b + "/", siteRoot).pathname, { baseUrl: siteRoot.pathname });
      }));
    }).then(function () { return pf; });
  });
  // the filters' values and counts; the first search waits for them only when the address picks one
  var filled = pagefind.then(function (pf) { return pf.filters(); }).then(function (filters) {
    Object.keys(selects).forEach(function (k) {
      fill(selects[k], filters[k]);
      if (params.get(k)) selects[k].value = indexed(params.get(k));
    });
  });
  filled.catch(function () {});  // a failure to load shows below
  var picked = Object.keys(selects).some(function (k) { return params.get(k); });
  form.addEventListener("submit", function (e) { e.preventDefault(); run(1); });
  input.addEventListener("input", function () { run(1, true); });
  Object.keys(selects).forEach(function (k) { selects[k].addEventListener("change", function () { run(1); }); });
  prev.addEventListener("click", function () { turn(-1); });
  next.addEventListener("click", function () { turn(1); });
  say("Loading the search index…");
  (picked ? filled : pagefind).then(function () { run(parseInt(params.get("page"), 10) || 1); },
                                    function (e) { say("The search index did not load: " + e.message); });
})();
