// Dashboard enhancements; every page works without this file.
// The fieldwork monitor polls its JSON route and updates the numbers in place.
(function () {
  "use strict";
  var root = document.querySelector("[data-poll]");
  if (!root) return;
  var url = root.getAttribute("data-poll");
  var seconds = parseInt(root.getAttribute("data-seconds"), 10) || 5;
  var locale = root.getAttribute("data-locale") || document.documentElement.lang || "en";
  var number = new Intl.NumberFormat(locale);
  var percent = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 0 });
  var lastComplete = null;

  function show(el, value) {
    var format = el.getAttribute("data-format");
    if (format === "bar") { el.value = Math.min(value || 0, 1); return; }
    if (value === null || value === undefined) { el.textContent = "–"; return; }
    el.textContent = format === "percent" ? percent.format(value) : number.format(value);
  }

  function fill(scope, data) {
    scope.querySelectorAll("[data-field]").forEach(function (el) {
      if (el.closest("[data-site]") && el.closest("[data-site]") !== scope && scope === root) return;
      var key = el.getAttribute("data-field");
      // Texts the server formatted (the "Updated" time in the wave's zone and the
      // reader's words): shown as they come.
      if (key === "updated_text") { if (typeof data[key] === "string") el.textContent = data[key]; return; }
      if (key in data) show(el, data[key]);
    });
  }

  function table(name, rows) {
    var body = root.querySelector('[data-table="' + name + '"]');
    if (!body) return;
    // Codes in the JSON ("es", "sms"); the page gave their names in its language.
    var labels = JSON.parse(body.getAttribute("data-labels") || "{}");
    body.textContent = "";
    Object.keys(rows).forEach(function (key) {
      var tr = document.createElement("tr");
      [labels[key] || key, number.format(rows[key].complete), number.format(rows[key].partial)].forEach(function (text) {
        var td = document.createElement("td");
        td.textContent = text;
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
  }

  function cells(tr, tag, texts, scope) {
    texts.forEach(function (text, i) {
      var cell = document.createElement(i === 0 && scope ? "th" : tag);
      if (i === 0 && scope) cell.setAttribute("scope", scope);
      if (tag === "th" && !scope) cell.setAttribute("scope", "col");
      cell.textContent = text;
      tr.appendChild(cell);
    });
  }

  // Completes per day: rows already formatted by the server, most recent first.
  function daily(table) {
    var el = root.querySelector('[data-table="daily"]');
    if (!el || !table) return;
    var head = document.createElement("tr");
    cells(head, "th", table.head, null);
    el.tHead.textContent = "";
    el.tHead.appendChild(head);
    var body = el.tBodies[0];
    body.textContent = "";
    table.rows.forEach(function (row) {
      var tr = document.createElement("tr");
      cells(tr, "td", row, "row");
      body.appendChild(tr);
    });
    var empty = root.querySelector("[data-daily-empty]");
    if (empty) empty.hidden = table.rows.length > 0;
  }

  function update(data) {
    fill(root, data);
    data.sites.forEach(function (site) {
      var row = root.querySelector('[data-site="' + site.site_id + '"]');
      if (row) fill(row, site);
    });
    table("by_language", data.by_language);
    table("by_channel", data.by_channel);
    daily(data.daily_table);
    // Redraw the chart (server-side matplotlib) only when the count moved.
    var chart = root.querySelector("[data-chart]");
    if (chart && data.complete !== lastComplete) {
      chart.src = chart.src.split("?")[0] + "?t=" + Date.now();
    }
    lastComplete = data.complete;
    root.setAttribute("data-updated", data.as_of);
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) update(data); })
      .catch(function () {})
      .then(function () { window.setTimeout(poll, seconds * 1000); });
  }
  window.setTimeout(poll, seconds * 1000);
})();
