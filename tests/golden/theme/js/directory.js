// Progressive enhancement for the directory page: filter and sort the table in place.
// Without JavaScript the page is complete; the facet pages do the same work statically.
(function () {
  "use strict";
  var form = document.getElementById("filters");
  var table = document.querySelector("table[data-sortable]");
  if (!form || !table) { return; }
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  var status = document.getElementById("filter-status");
  var text = document.getElementById("filter-text");
  var selects = Array.prototype.slice.call(form.querySelectorAll("select"));
  var fold = function (s) { return s.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase(); };
  var haystacks = rows.map(function (row) { return fold(row.textContent); });

  function apply() {
    var words = fold(text.value).split(/\s+/).filter(Boolean);
    var shown = 0;
    rows.forEach(function (row, i) {
      var ok = words.every(function (w) { return haystacks[i].indexOf(w) !== -1; });
      selects.forEach(function (select) {
        if (ok && select.value) {
          ok = (" " + row.getAttribute("data-" + select.name) + " ").indexOf(" " + select.value + " ") !== -1;
        }
      });
      row.hidden = !ok;
      if (ok) { shown += 1; }
    });
    status.textContent = shown + " of " + rows.length + " co-ops shown";
  }

  var params = new URLSearchParams(window.location.search);
  text.value = params.get("q") || "";
  selects.forEach(function (select) { select.value = params.get(select.name) || ""; });
  form.hidden = false;
  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (event) { event.preventDefault(); apply(); });
  apply();

  // Sortable headers: a button in each sortable header, state in aria-sort.
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
      var sorted = rows.slice().sort(function (a, b) {
        var x = fold(a.cells[column].textContent), y = fold(b.cells[column].textContent);
        return (x < y ? -1 : x > y ? 1 : 0) * (ascending ? 1 : -1);
      });
      sorted.forEach(function (row) { table.tBodies[0].appendChild(row); });
    });
  });
}());
