/* Sorting and filtering of the model and device tables (index.html, devices/index.html).
   Plain DOM, no network: the rows and their data-* values are in the page, so it works from file://.
   A form.filters names its table (data-table); each control says how it filters (data-filter):
   search (words in data-search), equals (data-key), min / max (numbers, times data-scale),
   memory ("runs on my memory": GB as marketed, i.e. GiB, against data-minmem / data-recmem). */
(function () {
  "use strict";
  var GIB_IN_GB = 1073741824 / 1e9;

  function number(text) {
    var v = parseFloat(text);
    return isNaN(v) ? null : v;
  }

  function fitsText(row, memoryGb) {
    var min = number(row.dataset.minmem), rec = number(row.dataset.recmem);
    if (memoryGb === null) return { show: true, text: "—", rank: "" };
    if (rec !== null && rec <= memoryGb) return { show: true, text: row.dataset.recquant + " fits", rank: "2" };
    if (min !== null && min <= memoryGb) return { show: true, text: row.dataset.minquant + " fits, not " + row.dataset.recquant, rank: "1" };
    return { show: false, text: "too big", rank: "0" };
  }

  function setUp(form) {
    var table = document.getElementById(form.dataset.table);
    if (!table) return;
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var controls = Array.prototype.slice.call(form.querySelectorAll("[data-filter]"));
    var status = document.getElementById("f-status");
    var empty = document.getElementById("f-empty");
    var noun = form.dataset.noun || "rows";

    function keep(row) {
      var ok = true;
      controls.forEach(function (c) {
        var kind = c.dataset.filter, value = c.value.trim();
        if (kind === "memory") {
          var mem = number(value);
          var fit = fitsText(row, mem === null ? null : mem * GIB_IN_GB);
          var cell = row.querySelector(".fits");
          if (cell) cell.textContent = fit.text;
          row.dataset.fits = fit.rank;
          ok = ok && fit.show;
          return;
        }
        if (!value) return;
        if (kind === "search") {
          var text = row.dataset.search || "";
          ok = ok && value.toLowerCase().split(/\s+/).every(function (w) { return text.indexOf(w) >= 0; });
        } else if (kind === "equals") {
          ok = ok && row.dataset[c.dataset.key] === value;
        } else {
          var limit = number(value), have = number(row.dataset[c.dataset.key]);
          if (limit === null) return;
          limit *= parseFloat(c.dataset.scale || "1");
          ok = ok && have !== null && (kind === "min" ? have >= limit : have <= limit);
        }
      });
      return ok;
    }

    function apply() {
      var shown = 0;
      var memory = form.querySelector("[data-filter=memory]");
      table.classList.toggle("with-memory", Boolean(memory && number(memory.value) !== null));
      rows.forEach(function (row) {
        var show = keep(row);
        row.hidden = !show;
        if (show) shown += 1;
      });
      if (status) {
        status.textContent = shown === rows.length ? "Showing all " + rows.length + " " + noun + "."
          : "Showing " + shown + " of " + rows.length + " " + noun + ".";
      }
      if (empty) empty.hidden = shown !== 0;
    }

    form.addEventListener("input", apply);
    form.addEventListener("change", apply);
    form.addEventListener("submit", function (e) { e.preventDefault(); });
    form.addEventListener("reset", function () { setTimeout(apply, 0); });

    Array.prototype.forEach.call(table.tHead.querySelectorAll("button[data-key]"), function (button) {
      button.addEventListener("click", function () {
        var th = button.parentNode;
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(table.tHead.querySelectorAll("th"), function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var key = button.dataset.key, numeric = button.dataset.type === "num";
        var sorted = rows.slice().sort(function (a, b) {
          var x = a.dataset[key] || "", y = b.dataset[key] || "";
          var order;
          if (numeric) {
            var nx = number(x), ny = number(y);
            order = (nx === null ? Infinity : nx) - (ny === null ? Infinity : ny);
          } else {
            order = x.localeCompare(y, undefined, { sensitivity: "base" });
          }
          return ascending ? order : -order;
        });
        sorted.forEach(function (row) { body.appendChild(row); });
      });
    });
    apply();
  }

  Array.prototype.forEach.call(document.querySelectorAll("form.filters[data-table]"), setUp);
})();
