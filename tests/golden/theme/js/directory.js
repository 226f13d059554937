// Progressive enhancement for the long lists (all co-ops, all openings): filter and sort in place.
// Without JavaScript the page is complete; the facet pages do the same work statically.
// Words typed into the filter go through the site search (search.js), so they match as the
// search box does (stems, accents, a typo forgiven) and the best matches come first; if the
// search index cannot be loaded, the words are matched in the list's own text instead.
(function () {
  "use strict";
  var form = document.getElementById("filters");
  var container = document.querySelector("[data-filter-items]");
  if (!form || !container) { return; }
  var items = Array.prototype.slice.call(container.querySelectorAll("[data-doc]"));
  var parent = items.length ? items[0].parentNode : null;
  var original = items.slice();
  var status = document.getElementById("filter-status");
  var text = document.getElementById("filter-text");
  var noun = form.getAttribute("data-noun") || "entries";
  var selects = Array.prototype.slice.call(form.querySelectorAll("select"));
  var search = window.coopdirSearch;
  var fold = search ? search.fold : function (s) { return s.toLowerCase(); };
  var haystacks = items.map(function (item) { return fold(item.textContent); });
  var sequence = 0, timer = null;

  function facetsMatch(item) {
    return selects.every(function (select) {
      return !select.value ||
        (" " + item.getAttribute("data-" + select.name) + " ").indexOf(" " + select.value + " ") !== -1;
    });
  }
  function show(matches, order) {
    var shown = 0;
    items.forEach(function (item, i) {
      var ok = matches(item, i) && facetsMatch(item);
      item.hidden = !ok;
      if (ok) { shown += 1; }
    });
    (order || original).forEach(function (item) { parent.appendChild(item); });
    status.textContent = shown + " of " + items.length + " " + noun + " shown";
  }
  function bySubstring() {
    var words = fold(text.value).split(/\s+/).filter(Boolean);
    show(function (item, i) { return words.every(function (w) { return haystacks[i].indexOf(w) !== -1; }); });
  }
  function apply(typing) {
    var mine = ++sequence;
    if (!text.value.trim() || !search) { bySubstring(); return; }
    search.query(text.value, {}, { typing: typing }).then(function (result) {
      if (mine !== sequence) { return; }
      var rank = {};
      result.ids.forEach(function (id, i) { rank[id] = i; });
      var order = original.slice().sort(function (a, b) {
        var x = rank[a.getAttribute("data-doc")], y = rank[b.getAttribute("data-doc")];
        return (x === undefined ? Infinity : x) - (y === undefined ? Infinity : y);
      });
      show(function (item) { return rank[item.getAttribute("data-doc")] !== undefined; }, order);
    }).catch(function () { if (mine === sequence) { search = null; bySubstring(); } });
  }

  var params = new URLSearchParams(window.location.search);
  text.value = params.get("q") || "";
  selects.forEach(function (select) { select.value = params.get(select.name) || ""; });
  form.hidden = false;
  text.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () { apply(true); }, 120);
  });
  form.addEventListener("change", function () { apply(false); });
  form.addEventListener("submit", function (event) { event.preventDefault(); apply(false); });
  apply(false);

  // Sortable headers (the co-op table): a button in each sortable header, state in aria-sort.
  var table = container.tagName === "TABLE" ? container : null;
  if (!table) { return; }
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, column) {
    if (!th.hasAttribute("data-sort")) { return; }
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = th.textContent;
    th.textContent = "";
    th.appendChild(button);
    button.addEventListener("click", function () {
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (other) { other.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      original = items.slice().sort(function (a, b) {
        var x = fold(a.cells[column].textContent), y = fold(b.cells[column].textContent);
        return (x < y ? -1 : x > y ? 1 : 0) * (ascending ? 1 : -1);
      });
      original.forEach(function (row) { parent.appendChild(row); });
    });
  });
}());
