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

  // Filters: the selects match a row's data attributes; the ranges bound its numbers (a
  // blank box is no bound; a row without the number fails a set bound). The chart's points
  // follow the rows: a filtered-out company's point, whisker and label are hidden too.
  var form = document.querySelector("form.filters");
  var selects = form ? form.querySelectorAll("select") : [];
  var ranges = form ? form.querySelectorAll("input[data-key]") : [];
  var counter = document.getElementById("filter-count");
  function bounds() {
    var out = [];
    Array.prototype.forEach.call(ranges, function (inp) {
      if (inp.value === "" || isNaN(parseFloat(inp.value))) { return; }
      var scale = parseFloat(inp.getAttribute("data-scale") || "1");
      out.push({ key: inp.getAttribute("data-key"), min: inp.getAttribute("data-bound") === "min",
        v: parseFloat(inp.value) * scale });
    });
    return out;
  }
  function applyFilters() {
    var want = {};
    Array.prototype.forEach.call(selects, function (s) { want[s.name] = s.value; });
    var limits = bounds();
    var shown = 0, hidden = {};
    Array.prototype.forEach.call(tbody.rows, function (r) {
      var ok = (!want.quadrant || r.getAttribute("data-quadrant") === want.quadrant) &&
        (!want.country || r.getAttribute("data-country") === want.country) &&
        (!want.stage || (" " + r.getAttribute("data-stages") + " ").indexOf(" " + want.stage + " ") >= 0) &&
        (!want.gate || r.getAttribute("data-gate") === want.gate);
      limits.forEach(function (b) {
        var raw = r.getAttribute("data-" + b.key);
        var x = raw === null || raw === "" ? NaN : parseFloat(raw);
        if (isNaN(x) || (b.min ? x < b.v : x > b.v)) { ok = false; }
      });
      r.classList.toggle("hidden", !ok);
      if (ok) { shown += 1; } else { hidden[r.getAttribute("data-id")] = true; }
    });
    var marks = document.querySelectorAll("#scatter .pt-link, #scatter line.whisker, #scatter .labels text");
    Array.prototype.forEach.call(marks, function (el) {
      el.classList.toggle("filtered-out", !!hidden[el.getAttribute("data-id")]);
    });
    if (counter) { counter.textContent = shown + " of " + tbody.rows.length + " shown"; }
  }
  Array.prototype.forEach.call(selects, function (s) { s.addEventListener("change", applyFilters); });
  Array.prototype.forEach.call(ranges, function (s) { s.addEventListener("input", applyFilters); });
  if (form) {
    form.addEventListener("submit", function (e) { e.preventDefault(); });
    form.addEventListener("reset", function () { setTimeout(applyFilters, 0); });
  }
})();

(function () {
  "use strict";
  // Cards are collapsed <details>: a link to one (a chart point, a table row) opens it.
  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var el = id ? document.getElementById(id) : null;
    if (el && el.tagName === "DETAILS" && !el.open) { el.open = true; el.scrollIntoView(); }
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();
  var cards = document.querySelectorAll("#cards details.card");
  var search = document.getElementById("card-search");
  var count = document.getElementById("card-count");
  if (search) {
    search.addEventListener("input", function () {
      var q = search.value.trim().toLowerCase(), shown = 0;
      Array.prototype.forEach.call(cards, function (c) {
        var ok = !q || c.getAttribute("data-search").indexOf(q) >= 0;
        c.classList.toggle("hidden", !ok);
        if (ok) { shown += 1; }
      });
      if (count) { count.textContent = q ? shown + " of " + cards.length + " cards" : ""; }
    });
  }
  function setAll(open) {
    Array.prototype.forEach.call(cards, function (c) { if (!c.classList.contains("hidden")) { c.open = open; } });
  }
  var o = document.getElementById("cards-open"), cl = document.getElementById("cards-close");
  if (o) { o.addEventListener("click", function () { setAll(true); }); }
  if (cl) { cl.addEventListener("click", function () { setAll(false); }); }
})();
