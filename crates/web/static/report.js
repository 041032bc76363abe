// Progressive help on a report's page; the page works without it. It counts the changes not
// yet saved, keeps a copy of them in this browser (so a draft survives an expired session or
// a lost connection), saves in the background every half minute while online, and shows the
// sum of an indicator's disaggregated parts beside its total as they are typed.
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form || !form.querySelector("input[name^='c']")) { return; }
  var status = document.getElementById("save-state");
  var key = "baocao:" + location.pathname;
  var initial = {};
  var inputs = Array.prototype.slice.call(form.querySelectorAll("input[name^='c'], textarea[name^='s']"));
  // What the server holds (after a refused save the inputs keep what was typed, unsaved).
  inputs.forEach(function (el) {
    initial[el.name] = el.dataset.saved !== undefined ? el.dataset.saved : el.value;
  });
  // Numbers as the page writes them: 1.234,5 in Vietnamese, 1,234.5 in English; plain too.
  var vietnamese = document.documentElement.lang !== "en";
  function number(text) {
    var t = String(text).replace(/\s/g, "");
    if (vietnamese && t.indexOf(",") >= 0) { t = t.replace(/\./g, "").replace(",", "."); }
    else if (vietnamese && /^-?\d{1,3}(\.\d{3})+$/.test(t)) { t = t.replace(/\./g, ""); }
    else if (!vietnamese) { t = t.replace(/,/g, ""); }
    return /^[-+]?\d*\.?\d+$/.test(t) ? parseFloat(t) : NaN;
  }
  function written(value) {
    return value.toLocaleString(vietnamese ? "vi-VN" : "en-US", { maximumFractionDigits: 6 });
  }

  function changed() {
    return inputs.filter(function (el) { return el.value !== initial[el.name]; });
  }
  function show(extra) {
    var n = changed().length;
    if (!status) { return; }
    status.textContent = n === 0 ? status.dataset.saved
      : status.dataset.unsaved.replace("{n}", n) + (extra ? " " + extra : "");
  }
  function remember() {
    var copy = {};
    changed().forEach(function (el) { copy[el.name] = el.value; });
    try {
      if (Object.keys(copy).length) { localStorage.setItem(key, JSON.stringify(copy)); }
      else { localStorage.removeItem(key); }
    } catch (e) { /* storage full or refused: the counter still tells */ }
  }
  function sums() {
    form.querySelectorAll("tr.total").forEach(function (total) {
      var parts = [];
      var next = total.nextElementSibling;
      while (next && next.classList.contains("part")) { parts.push(next); next = next.nextElementSibling; }
      if (!parts.length) { return; }
      total.querySelectorAll("td.cell").forEach(function (cell, column) {
        var sum = 0, any = false;
        parts.forEach(function (part) {
          var input = part.querySelectorAll("td.cell input")[column];
          var v = input ? number(input.value) : NaN;
          if (!isNaN(v)) { sum += v; any = true; }
        });
        var hint = cell.querySelector(".sum");
        if (!hint) { hint = document.createElement("span"); hint.className = "sum muted"; cell.appendChild(hint); }
        hint.textContent = any ? "Σ " + written(Math.round(sum * 1e6) / 1e6) : "";
      });
    });
  }

  // Just saved: the server has everything, the copy is stale.
  if (status && status.dataset.clean === "true") { try { localStorage.removeItem(key); } catch (e) {} }
  // A copy kept from an earlier visit that the server does not have: offer it back.
  try {
    var kept = JSON.parse(localStorage.getItem(key) || "null");
    if (kept && status) {
      var restore = document.createElement("button");
      restore.type = "button";
      restore.id = "restore";
      restore.textContent = status.dataset.restore;
      restore.addEventListener("click", function () {
        inputs.forEach(function (el) { if (el.name in kept) { el.value = kept[el.name]; } });
        restore.remove(); show(); sums();
      });
      status.parentNode.insertBefore(restore, status.nextSibling);
    }
  } catch (e) { /* an unreadable copy is ignored */ }

  form.addEventListener("input", function () { show(); remember(); sums(); });

  // Signing is asked twice: the dialog names what will be signed and the outline sections
  // still empty. (Without the script the button submits at once, as before.)
  var confirmation = document.getElementById("confirm-submit");
  var submit = form.querySelector("button[value='submit']:not([data-confirmed])");
  if (confirmation && submit && confirmation.showModal) {
    submit.addEventListener("click", function (event) {
      event.preventDefault();
      var filled = form.querySelectorAll("input[name^='c']");
      var count = Array.prototype.filter.call(filled, function (el) {
        return /^c\d+$/.test(el.name) && el.value.trim() !== "";
      }).length;
      var cells = confirmation.querySelector(".filled-cells");
      cells.textContent = cells.dataset.text.replace("{n}", count);
      var empty = Array.prototype.filter.call(form.querySelectorAll("textarea[name^='s']"),
        function (el) { return el.value.trim() === ""; });
      var box = confirmation.querySelector(".empty-sections");
      var list = box.querySelector("ul");
      list.textContent = "";
      empty.forEach(function (el) {
        var item = document.createElement("li");
        item.textContent = el.getAttribute("aria-label");
        list.appendChild(item);
      });
      box.hidden = empty.length === 0;
      confirmation.showModal();
    });
    confirmation.querySelector("[data-cancel]").addEventListener("click", function () {
      confirmation.close();
    });
    submit.dataset.asks = "true";
  }
  // The copy stays until the server has the changes: a refused save must not lose them.
  var submitting = false;
  form.addEventListener("submit", function () { submitting = true; });
  window.addEventListener("beforeunload", function (event) {
    if (!submitting && changed().length) { event.preventDefault(); event.returnValue = ""; }
  });


  var every = parseInt(form.dataset.autosaveMs || "30000", 10);
  setInterval(function () {
    if (!changed().length) { return; }
    if (!navigator.onLine) { show(status.dataset.offline); return; }
    var body = new URLSearchParams(new FormData(form));
    body.set("intent", "save");
    fetch(form.action, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text();
      })
      .then(function (html) {
        var version = /name="version" value="(\d+)"/.exec(html);
        if (version) { form.querySelector("input[name='version']").value = version[1]; }
        // Saved in the background: what is in the inputs is what the server holds now.
        inputs.forEach(function (el) { initial[el.name] = el.value; });
        remember(); show();
      })
      .catch(function () { show(status.dataset.offline); });
  }, every);
  show(); sums();

  // A workbook filled offline goes to the API as it is; a refusal lists each bad cell.
  var upload = document.getElementById("workbook-upload");
  if (upload) {
    upload.addEventListener("submit", function (event) {
      event.preventDefault();
      var file = document.getElementById("workbook-file").files[0];
      var result = document.getElementById("workbook-result");
      if (!file) { return; }
      fetch(upload.dataset.url, {
        method: "POST", body: file, credentials: "same-origin",
        headers: {
          "content-type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
          "x-csrf-token": upload.dataset.csrf
        }
      })
        .then(function (response) {
          if (response.ok) {
            result.textContent = upload.dataset.saved;
            submitting = true;
            window.location.reload();
            return;
          }
          return response.json().then(function (answer) {
            result.textContent = "";
            var error = answer.error || {};
            var heading = document.createElement("p");
            heading.className = "error";
            heading.textContent = upload.dataset.failed + " " + (error.message || response.status);
            result.appendChild(heading);
            var list = document.createElement("ul");
            list.id = "workbook-cells";
            (answer.cells || []).forEach(function (cell) {
              var item = document.createElement("li");
              item.textContent = cell.sheet + "!" + cell.cell + " (" + cell.row + ", " + cell.column + "): " + cell.message;
              list.appendChild(item);
            });
            result.appendChild(list);
          });
        })
        .catch(function () { result.textContent = upload.dataset.failed; });
    });
  }
}());
