(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var table = document.getElementById("ranked");
  if (!table) { return; }
  var tbody = table.tBodies[0];

  function key(row, col) {
    var cell = row.cells[col];
    var v = cell ? cell.getAttribute("data-sort-value") : null;
    if (v === null) { v = cell ? cell.textContent.trim() : ""; }
    return v;
  }
  // Numeric-aware comparison; empty values (not computed) always sort last.
  function compare(a, b, dir) {
    if (a === "" && b === "") { return 0; }
    if (a === "") { return 1; }
    if (b === "") { return -1; }
    var x = parseFloat(a), y = parseFloat(b);
    var r = (!isNaN(x) && !isNaN(y) && isFinite(a) && isFinite(b)) ? x - y : a.localeCompare(b);
    return dir === "ascending" ? r : -r;
  }
  var headers = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(headers, function (th, col) {
    var button = th.querySelector("button.sort");
    if (!button) { return; }
    button.addEventListener("click", function () {
      var dir = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
      Array.prototype.forEach.call(headers, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", dir);
      var rows = Array.prototype.slice.call(tbody.rows);
      rows.forEach(function (r, i) { r._i = i; });
      rows.sort(function (a, b) { return compare(key(a, col), key(b, col), dir) || a._i - b._i; });
      rows.forEach(function (r) { tbody.appendChild(r); });
    });
  });

  var selects = document.querySelectorAll(".filters select");
  var counter = document.getElementById("filter-count");
  function applyFilters() {
    var want = {};
    Array.prototype.forEach.call(selects, function (s) { want[s.name] = s.value; });
    var shown = 0;
    Array.prototype.forEach.call(tbody.rows, function (r) {
      var ok = (!want.quadrant || r.getAttribute("data-quadrant") === want.quadrant) &&
        (!want.country || r.getAttribute("data-country") === want.country) &&
        (!want.stage || (" " + r.getAttribute("data-stages") + " ").indexOf(" " + want.stage + " ") >= 0) &&
        (!want.gate || r.getAttribute("data-gate") === want.gate);
      r.classList.toggle("hidden", !ok);
      if (ok) { shown += 1; }
    });
    if (counter) { counter.textContent = shown + " of " + tbody.rows.length + " shown"; }
  }
  Array.prototype.forEach.call(selects, function (s) { s.addEventListener("change", applyFilters); });
})();
