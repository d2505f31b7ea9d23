// Search page: look words up in the static index under search-index/ (built by site-gen from
// the records). Only the shards of the typed words and the chunks of shown results are
// fetched; every address is relative, so search works wherever the site is published.
(function () {
  "use strict";
  var form = document.querySelector("form.search");
  if (!form || !window.fetch) { return; }
  var input = document.getElementById("search-input");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var base = new URL(form.getAttribute("data-index"), window.location.href);
  var root = new URL(form.getAttribute("data-root") || "./", window.location.href);
  var cache = {};
  var meta = null;
  var LIMIT = 50;

  function load(path) {
    if (!cache[path]) {
      cache[path] = fetch(new URL(path, base)).then(function (response) {
        if (!response.ok) { throw new Error(path + ": " + response.status); }
        return response.json();
      });
    }
    return cache[path];
  }

  function words(text) {
    var folded = text.toLocaleLowerCase().normalize("NFKD").replace(/\p{M}/gu, "");
    return folded.match(/[\p{L}\p{N}]+/gu) || [];
  }

  function shardKey(word) {
    return Array.from(word).slice(0, 2).map(function (c) {
      return c.codePointAt(0).toString(16);
    }).join("-");
  }

  function matches(word) {
    var key = shardKey(word);
    if (meta.shards.indexOf(key) === -1) { return Promise.resolve(new Set()); }
    return load("terms/" + key + ".json").then(function (terms) {
      var found = new Set();
      Object.keys(terms).forEach(function (term) {
        if (term.lastIndexOf(word, 0) === 0) {
          terms[term].forEach(function (n) { found.add(n); });
        }
      });
      return found;
    });
  }

  function show(query, numbers) {
    list.textContent = "";
    if (!numbers.length) {
      status.textContent = "No records match “" + query + "”.";
      return Promise.resolve();
    }
    var shown = numbers.slice(0, LIMIT);
    var chunks = Array.from(new Set(shown.map(function (n) { return Math.floor(n / meta.chunk); })));
    return Promise.all(chunks.map(function (c) { return load("docs/" + c + ".json"); }))
      .then(function (loaded) {
        var byChunk = {};
        chunks.forEach(function (c, i) { byChunk[c] = loaded[i]; });
        var docs = shown.map(function (n) { return byChunk[Math.floor(n / meta.chunk)][n % meta.chunk]; });
        var terms = words(query);
        docs.sort(function (a, b) {
          return titleScore(b[1], terms) - titleScore(a[1], terms);
        });
        docs.forEach(function (doc) {
          var item = document.createElement("li");
          item.className = "search-result";
          var kind = document.createElement("span");
          kind.className = "search-kind";
          kind.textContent = doc[2] + (doc[3] ? " · " + doc[3] : "");
          var link = document.createElement("a");
          link.className = "search-result-link";
          link.href = new URL(doc[0], root).pathname;
          link.textContent = doc[1];
          item.appendChild(kind);
          item.appendChild(document.createTextNode(" "));
          item.appendChild(link);
          if (doc[4]) {
            var snippet = document.createElement("p");
            snippet.textContent = doc[4];
            item.appendChild(snippet);
          }
          list.appendChild(item);
        });
        var total = numbers.length;
        status.textContent = total + (total === 1 ? " record matches" : " records match") +
          " “" + query + "”" + (total > LIMIT ? "; showing the first " + LIMIT + "." : ".");
      });
  }

  function titleScore(title, terms) {
    var titleWords = words(title);
    return terms.filter(function (t) {
      return titleWords.some(function (w) { return w.lastIndexOf(t, 0) === 0; });
    }).length;
  }

  var pending = 0;
  function search(query) {
    var terms = words(query);
    var ticket = ++pending;
    if (!terms.length) {
      list.textContent = "";
      status.textContent = "";
      return;
    }
    status.textContent = "Searching…";
    load("meta.json").then(function (m) {
      meta = m;
      return Promise.all(terms.map(matches));
    }).then(function (sets) {
      if (ticket !== pending) { return; }
      var result = Array.from(sets[0]).filter(function (n) {
        return sets.every(function (s) { return s.has(n); });
      }).sort(function (a, b) { return a - b; });
      return show(query, result);
    }).catch(function () {
      status.textContent = "The search index could not be loaded.";
    });
  }

  var timer = null;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { search(input.value); }, 150);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    search(input.value);
    var url = new URL(window.location.href);
    url.searchParams.set("q", input.value);
    window.history.replaceState(null, "", url);
  });
  var initial = new URL(window.location.href).searchParams.get("q");
  if (initial) {
    input.value = initial;
    search(initial);
  }
})();
