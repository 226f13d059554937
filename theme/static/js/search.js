// Search in the browser, from the static index the build writes under /search-index/.
// plugins/coopdir/search/browserindex.py describes the files; this script only reads them, from
// this host, as they are needed: a first query fetches the index summary, one or two term shards
// and the result chunks it shows. The build did all the stemming: each shard maps the words seen
// in the data to their stems, so this script folds and splits words exactly as the build does
// (plugins/coopdir/search/analysis.py) and never stems by itself.
// Without JavaScript, the search forms submit to /search/, which leads to the static facet pages.
(function () {
  "use strict";
  var BASE = "/search-index/";
  // Python's \w+(\.?\w+)* (Whoosh's default tokenizer), for Unicode text.
  var TOKEN = /[\p{L}\p{N}\p{M}_]+(?:\.?[\p{L}\p{N}\p{M}_]+)*/gu;
  // Letters Whoosh's accent map folds that Unicode decomposition leaves alone.
  var EXTRA_FOLDS = { "ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "đ": "d", "ł": "l", "ı": "i", "þ": "th", "ð": "d" };
  var EXACT = 1, PREFIX = 0.9, TYPO = 0.8, MAX_EXPANSIONS = 20;

  var cache = {};
  function fetchJSON(path) {
    if (!cache[path]) {
      cache[path] = fetch(BASE + path).then(function (response) {
        if (!response.ok) { throw new Error("search index: " + path + " answered " + response.status); }
        return response.json();
      });
    }
    return cache[path];
  }
  var summary = null;
  function index() {
    if (!summary) { summary = fetchJSON("index.json"); }
    return summary;
  }
  function versioned(meta, path) { return fetchJSON(path + "?v=" + meta.version); }

  function fold(text) {
    return text.toLowerCase().normalize("NFKD").replace(/\p{M}/gu, "")
      .replace(/[øæœßđłıþð]/g, function (ch) { return EXTRA_FOLDS[ch]; });
  }
  function words(meta, text) {
    var seen = {};
    return (fold(text).match(TOKEN) || []).filter(function (word) {
      if (meta.stop.indexOf(word) !== -1 || seen[word]) { return false; }
      seen[word] = true;
      return true;
    });
  }
  function shardFile(key) {
    if (/^[a-z0-9]{1,2}$/.test(key)) { return key; }
    return "u" + Array.from(key).map(function (ch) { return ch.codePointAt(0).toString(16); }).join("-");
  }
  function shardKey(word) { return Array.from(word).slice(0, 2).join(""); }
  function shard(meta, word) {
    var key = shardKey(word);
    if (meta.shards.indexOf(key) === -1) { return Promise.resolve({ w: {}, s: {} }); }
    return versioned(meta, "t/" + shardFile(key) + ".json");
  }
  // A stem with a long list of documents has a file of its own, numbered in its shard's "p".
  function ownFile(sh, stemmed) { return sh.p && Object.prototype.hasOwnProperty.call(sh.p, stemmed); }
  function hasStem(sh, stemmed) { return Object.prototype.hasOwnProperty.call(sh.s, stemmed) || ownFile(sh, stemmed); }
  function typoDistance(word) { return word.length >= 8 ? 2 : word.length >= 4 ? 1 : 0; }
  // Optimal string alignment distance (as rapidfuzz's OSA in the build): letters added, dropped,
  // changed, or two neighbours swapped; gives up past the limit.
  function editDistance(a, b, limit) {
    if (Math.abs(a.length - b.length) > limit) { return limit + 1; }
    var before = null, previous = [], current, i, j, bestBefore = 0;
    for (j = 0; j <= b.length; j += 1) { previous.push(j); }
    for (i = 1; i <= a.length; i += 1) {
      current = [i];
      var best = i;
      for (j = 1; j <= b.length; j += 1) {
        var cost = a[i - 1] === b[j - 1] ? 0 : 1;
        var value = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
        if (before && i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
          value = Math.min(value, before[j - 2] + 1);
        }
        current.push(value);
        best = Math.min(best, value);
      }
      // A swap reaches back two rows: give up only when two rows in a row are past the limit.
      if (best > limit && bestBefore > limit) { return limit + 1; }
      bestBefore = best;
      before = previous;
      previous = current;
    }
    return previous[b.length];
  }

  // The stems one typed word stands for: its own; else (while typing it) words it begins;
  // else words one typo away (two in long words). Each with how much a match through it counts.
  function variants(meta, word, typing) {
    return shard(meta, word).then(function (sh) {
      var stem = sh.w[word] || (hasStem(sh, word) ? word : null);
      var found = {};
      if (stem) { found[stem] = EXACT; }
      var vocabulary = Object.keys(sh.w).concat(Object.keys(sh.s), Object.keys(sh.p || {}));
      if (typing) {
        var longer = vocabulary.filter(function (other) { return other !== word && other.indexOf(word) === 0; });
        longer.slice(0, MAX_EXPANSIONS * 4).forEach(function (other) {
          var otherStem = sh.w[other] || other;
          if (!found[otherStem]) { found[otherStem] = PREFIX; }
        });
      }
      if (!Object.keys(found).length && typoDistance(word)) {
        vocabulary.forEach(function (other) {
          if (editDistance(word, other, typoDistance(word)) <= typoDistance(word)) {
            found[sh.w[other] || other] = TYPO;
          }
        });
      }
      return Promise.all(Object.keys(found).map(function (stemmed) {
        return postings(meta, stemmed).then(function (list) { return { stem: stemmed, factor: found[stemmed], list: list }; });
      }));
    }).then(function (all) {
      all = all.filter(function (one) { return one.list; });
      all.sort(function (a, b) { return b.factor - a.factor || b.list.ids.length - a.list.ids.length; });
      return all.slice(0, MAX_EXPANSIONS);
    });
  }
  function postings(meta, stemmed) {
    return shard(meta, stemmed).then(function (sh) {
      if (ownFile(sh, stemmed)) {
        return versioned(meta, "t/" + shardFile(shardKey(stemmed)) + "." + sh.p[stemmed] + ".json");
      }
      return Object.prototype.hasOwnProperty.call(sh.s, stemmed) ? sh.s[stemmed] : null;
    }).then(function (packed) {
      if (!packed) { return null; }
      var half = packed.length / 2, ids = [], weights = packed.slice(half), id = 0;
      for (var i = 0; i < half; i += 1) { id += packed[i]; ids.push(id); }
      return { ids: ids, weights: weights };
    });
  }
  function facetSet(meta, key, value) {
    if ((meta.facets[key] || []).indexOf(value) === -1) { return Promise.resolve(new Set()); }
    return versioned(meta, "f/" + key + "/" + encodeURIComponent(value) + ".json").then(function (deltas) {
      var ids = new Set(), id = 0;
      deltas.forEach(function (delta) { id += delta; ids.add(id); });
      return ids;
    });
  }

  // Rank documents for a query: every known word must match (else any, flagged), each word
  // adding its best variant's score (BM25, computed by the build); filters keep their values.
  function query(text, filters, options) {
    var typing = options && options.typing;
    return index().then(function (meta) {
      var typed = words(meta, text);
      var lookups = typed.map(function (word, i) { return variants(meta, word, typing && i === typed.length - 1); });
      var narrowing = Object.keys(filters || {}).filter(function (key) { return filters[key]; })
        .map(function (key) { return facetSet(meta, key, String(filters[key]).toLowerCase()); });
      return Promise.all([Promise.all(lookups), Promise.all(narrowing)]).then(function (found) {
        var perWord = found[0], allowed = found[1];
        var result = { ids: [], scores: {}, total: 0, everyWord: true, unknown: [], words: typed, meta: meta };
        var known = [];
        perWord.forEach(function (list, i) { if (list.length) { known.push(list); } else { result.unknown.push(typed[i]); } });
        var scores = new Map(), hits = new Map();
        known.forEach(function (list) {
          var best = new Map();
          list.forEach(function (variant) {
            variant.list.ids.forEach(function (id, j) {
              var score = variant.list.weights[j] / meta.scale * variant.factor;
              if (!(best.get(id) >= score)) { best.set(id, score); }
            });
          });
          best.forEach(function (score, id) {
            scores.set(id, (scores.get(id) || 0) + score);
            hits.set(id, (hits.get(id) || 0) + 1);
          });
        });
        var candidates;
        if (!typed.length) {
          candidates = allowed.length ? Array.from(allowed[0]) : [];
          candidates.forEach(function (id) { scores.set(id, 0); });
        } else {
          candidates = Array.from(scores.keys());
        }
        var pass = function (id) { return allowed.every(function (set) { return set.has(id); }); };
        var all = candidates.filter(function (id) { return hits.get(id) === known.length || !typed.length; }).filter(pass);
        if (!all.length && known.length > 1) {
          result.everyWord = false;
          all = candidates.filter(pass);
        }
        all.sort(function (a, b) { return scores.get(b) - scores.get(a) || a - b; });
        all.forEach(function (id) { result.scores[id] = scores.get(id); });
        result.ids = all;
        result.total = all.length;
        return result;
      });
    });
  }
  // The result lines of some ids: [url, kind, title, co-op, where, example] each, in order.
  function documents(meta, ids) {
    var chunks = {};
    ids.forEach(function (id) { chunks[Math.floor(id / meta.chunk)] = true; });
    return Promise.all(Object.keys(chunks).map(function (n) {
      return versioned(meta, "d/" + n + ".json").then(function (rows) { chunks[n] = rows; });
    })).then(function () {
      return ids.map(function (id) {
        var row = chunks[Math.floor(id / meta.chunk)][id % meta.chunk];
        return { id: id, url: row[0], kind: row[1], title: row[2], coop: row[3], where: row[4], example: row[5] === 1 };
      });
    });
  }

  // words and editDistance are exposed for tests/test_search_agreement.py, which checks them
  // against the build's Python on every word of the data.
  window.coopdirSearch = { query: query, documents: documents, fold: fold, words: words, editDistance: editDistance };

  // --- the result list: home page and /search/ -----------------------------------------------
  var PAGE = 20;
  function plural(n, one, many) { return n + " " + (n === 1 ? one : many); }

  function listWidget(form) {
    var input = form.querySelector("input[name=q]");
    var status = form.querySelector("[data-search-status]");
    var list = form.querySelector("[data-search-results]");
    var more = form.querySelector("[data-search-more]");
    var controls = Array.prototype.slice.call(form.querySelectorAll("select, input[type=checkbox]"));
    var sequence = 0, shown = 0, current = null, timer = null;
    var syncAddress = form.hasAttribute("data-search-address");

    function filters() {
      var chosen = {};
      controls.forEach(function (control) {
        if (control.type === "checkbox") { if (control.checked) { chosen[control.name] = control.value; } }
        else if (control.value) { chosen[control.name] = control.value; }
      });
      return chosen;
    }
    function render(rows, append) {
      if (!append) { list.textContent = ""; }
      rows.forEach(function (row) {
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = row.url;
        link.textContent = row.title;
        link.dir = "auto";
        var what = document.createElement("span");
        what.className = "result-what";
        what.textContent = (row.kind === "coop" ? "Co-op" : "Opening at " + row.coop) + (row.where ? " · " + row.where : "") +
          (row.example ? " · Example data, not a real opening" : "");
        item.appendChild(link);
        item.appendChild(document.createTextNode(" "));
        item.appendChild(what);
        list.appendChild(item);
      });
    }
    function showMore() {
      var ids = current.ids.slice(shown, shown + PAGE);
      var mine = sequence;
      return documents(current.meta, ids).then(function (rows) {
        if (mine !== sequence) { return; }
        render(rows, shown > 0);
        shown += rows.length;
        more.hidden = shown >= current.total;
      });
    }
    function describe(result) {
      var text = result.total ? plural(result.total, "result", "results") : "No results";
      if (result.words.length) { text += " for “" + input.value.trim() + "”"; }
      if (!result.everyWord) { text += " (none has every word; these have some)"; }
      if (result.unknown.length) { text += ". Not found anywhere: " + result.unknown.join(", "); }
      return text + ".";
    }
    function run(typing) {
      var text = input.value, chosen = filters();
      var mine = ++sequence;
      if (syncAddress) {
        var params = new URLSearchParams(chosen);
        if (text) { params.set("q", text); }
        var address = window.location.pathname + (params.toString() ? "?" + params : "");
        window.history.replaceState(null, "", address);
      }
      if (!text.trim() && !Object.keys(chosen).length) {
        list.textContent = ""; status.textContent = ""; more.hidden = true; form.removeAttribute("aria-busy");
        return Promise.resolve();
      }
      form.setAttribute("aria-busy", "true");
      return query(text, chosen, { typing: typing }).then(function (result) {
        if (mine !== sequence) { return; }
        current = result; shown = 0;
        status.textContent = describe(result);
        if (!result.total) { list.textContent = ""; more.hidden = true; return; }
        return showMore();
      }).catch(function (error) {
        status.textContent = "Search is unavailable right now; browse by facet instead.";
        if (window.console) { window.console.warn(error); }
      }).then(function () { if (mine === sequence) { form.removeAttribute("aria-busy"); } });
    }
    var params = new URLSearchParams(window.location.search);
    if (params.get("q")) { input.value = params.get("q"); }
    controls.forEach(function (control) {
      var value = params.get(control.name);
      if (value === null) { return; }
      if (control.type === "checkbox") { control.checked = value === control.value; } else { control.value = value; }
    });
    form.querySelectorAll("[data-search-js]").forEach(function (element) { element.hidden = false; });
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { run(true); }, 120);
    });
    controls.forEach(function (control) { control.addEventListener("change", function () { run(true); }); });
    form.addEventListener("submit", function (event) { event.preventDefault(); window.clearTimeout(timer); run(false); });
    more.addEventListener("click", function () { showMore(); });
    if (input.value || Object.keys(filters()).length) { run(false); }
  }

  document.querySelectorAll("form[data-search=list]").forEach(listWidget);
}());
