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
  // The device's copy of what is not saved yet, in IndexedDB (one record per report page);
  // where IndexedDB is refused (a private window), localStorage, and else nothing: the counter
  // still tells.
  var kept = (function () {
    var opened = null;
    function run(mode, work) {
      if (!opened) {
        opened = new Promise(function (resolve, reject) {
          var request = indexedDB.open("baocao", 1);
          request.onupgradeneeded = function () { request.result.createObjectStore("unsaved"); };
          request.onsuccess = function () { resolve(request.result); };
          request.onerror = function () { reject(request.error); };
        });
      }
      return opened.then(function (db) {
        return new Promise(function (resolve, reject) {
          var tx = db.transaction("unsaved", mode);
          var request = work(tx.objectStore("unsaved"));
          tx.oncomplete = function () { resolve(request.result); };
          tx.onerror = function () { reject(tx.error); };
        });
      });
    }
    var local = {
      get: function () { return Promise.resolve(JSON.parse(localStorage.getItem(key) || "null")); },
      put: function (copy) { localStorage.setItem(key, JSON.stringify(copy)); return Promise.resolve(); },
      remove: function () { localStorage.removeItem(key); return Promise.resolve(); }
    };
    if (!window.indexedDB) { return local; }
    return {
      get: function () { return run("readonly", function (s) { return s.get(key); }).catch(local.get); },
      put: function (copy) { return run("readwrite", function (s) { return s.put(copy, key); }).catch(function () { return local.put(copy); }); },
      remove: function () { return run("readwrite", function (s) { return s.delete(key); }).catch(local.remove); }
    };
  })();
  function remember() {
    var copy = {};
    changed().forEach(function (el) { copy[el.name] = el.value; });
    (Object.keys(copy).length ? kept.put(copy) : kept.remove()).catch(function () {});
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
  if (status && status.dataset.clean === "true") { kept.remove().catch(function () {}); }
  // A copy kept from an earlier visit that the server does not have: offer it back.
  kept.get().then(function (copy) {
    if (!copy || !status || document.getElementById("restore")) { return; }
    var restore = document.createElement("button");
    restore.type = "button";
    restore.id = "restore";
    restore.textContent = status.dataset.restore;
    restore.addEventListener("click", function () {
      inputs.forEach(function (el) { if (el.name in copy) { el.value = copy[el.name]; } });
      restore.remove(); show(); sums();
      if (!navigator.onLine) { offline(); }
    });
    status.parentNode.insertBefore(restore, status.nextSibling);
  }).catch(function () { /* an unreadable copy is ignored */ });

  form.addEventListener("input", function () { show(); remember(); sums(); });

  // The grid by keyboard, as in a spreadsheet: Enter and the down arrow go to the cell below,
  // Shift+Enter and the up arrow above, the left and right arrows to the neighbouring cell
  // once the caret is at the edge of the number. (Tab keeps its usual order.)
  function cellInputs(row) { return Array.prototype.slice.call(row.querySelectorAll("td.cell input")); }
  function vertical(input, step) {
    var row = input.closest("tr");
    var column = cellInputs(row).indexOf(input);
    for (var next = step > 0 ? row.nextElementSibling : row.previousElementSibling; next;
         next = step > 0 ? next.nextElementSibling : next.previousElementSibling) {
      var target = cellInputs(next)[column];
      if (target) { return target; }
    }
    return null;
  }
  form.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("td.cell input") || event.altKey || event.ctrlKey || event.metaKey) { return; }
    var target = null;
    if (event.key === "Enter" || event.key === "ArrowDown" || event.key === "ArrowUp") {
      target = vertical(input, event.key === "ArrowUp" || (event.key === "Enter" && event.shiftKey) ? -1 : 1);
      // Enter never submits from the grid: at the last row it stays put.
      if (event.key === "Enter") { event.preventDefault(); }
    } else if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
      var atStart = input.selectionStart === 0 && input.selectionEnd === 0;
      var atEnd = input.selectionStart === input.value.length;
      var row = cellInputs(input.closest("tr"));
      var at = row.indexOf(input);
      if (event.key === "ArrowLeft" && atStart) { target = row[at - 1]; }
      if (event.key === "ArrowRight" && atEnd) { target = row[at + 1]; }
    }
    if (target) {
      event.preventDefault();
      target.focus();
      target.select();
    }
  });

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


  // Offline: a banner says so and how many changes wait; they are kept in this browser and
  // saved as soon as the network is back. Someone else's save in between is not overwritten:
  // the optimistic lock refuses ours, and both numbers are shown side by side to choose.
  var banner = document.getElementById("offline-banner");
  var syncing = false;
  function offline() {
    if (!banner) { return; }
    banner.hidden = false;
    banner.className = "banner offline";
    banner.textContent = banner.dataset.waiting.replace("{n}", changed().length);
  }
  function back() { if (banner && banner.classList.contains("offline")) { banner.hidden = true; } }
  function versionOf(html) {
    var version = /name="version" value="(\d+)"/.exec(html);
    return version ? version[1] : null;
  }
  function conflict() {
    fetch(location.pathname, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var theirs = new DOMParser().parseFromString(html, "text/html");
        var list = document.createElement("table");
        list.id = "conflicts";
        var head = list.createTHead().insertRow();
        [banner.dataset.cell, banner.dataset.server, banner.dataset.mine].forEach(function (t) {
          var th = document.createElement("th"); th.scope = "col"; th.textContent = t; head.appendChild(th);
        });
        var body = list.createTBody();
        changed().forEach(function (el) {
          var other = theirs.querySelector("[name='" + el.name + "']");
          var server = other ? (other.dataset.saved !== undefined ? other.dataset.saved : other.value) : "";
          var row = body.insertRow();
          [el.getAttribute("aria-label") || el.name, server, el.value].forEach(function (t) { row.insertCell().textContent = t; });
          row.dataset.name = el.name;
          row.dataset.server = server;
        });
        banner.hidden = false;
        banner.className = "banner conflict";
        banner.textContent = banner.dataset.conflict;
        banner.appendChild(list);
        var keep = document.createElement("button");
        keep.type = "button"; keep.id = "keep-mine"; keep.textContent = banner.dataset.keepMine;
        var take = document.createElement("button");
        take.type = "button"; take.id = "take-theirs"; take.textContent = banner.dataset.takeTheirs;
        var version = versionOf(html);
        keep.addEventListener("click", function () {
          if (version) { form.querySelector("input[name='version']").value = version; }
          banner.hidden = true; sync();
        });
        take.addEventListener("click", function () {
          Array.prototype.forEach.call(body.rows, function (row) {
            var el = form.querySelector("[name='" + row.dataset.name + "']");
            if (el) { el.value = row.dataset.server; initial[el.name] = row.dataset.server; }
          });
          if (version) { form.querySelector("input[name='version']").value = version; }
          banner.hidden = true; remember(); show(); sums();
        });
        banner.appendChild(keep);
        banner.appendChild(take);
      })
      .catch(offline);
  }
  function sync() {
    if (syncing || !changed().length) { return; }
    if (!navigator.onLine) { offline(); show(status.dataset.offline); return; }
    syncing = true;
    var body = new URLSearchParams(new FormData(form));
    body.set("intent", "save");
    fetch(form.action, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 409) { conflict(); return null; }
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text();
      })
      .then(function (html) {
        syncing = false;
        if (html === null) { return; }
        var version = versionOf(html);
        if (version) { form.querySelector("input[name='version']").value = version; }
        // Saved in the background: what is in the inputs is what the server holds now.
        inputs.forEach(function (el) { initial[el.name] = el.value; });
        remember(); show(); back();
      })
      .catch(function () { syncing = false; offline(); show(status.dataset.offline); });
  }
  window.addEventListener("offline", offline);
  window.addEventListener("online", function () { back(); sync(); });
  form.addEventListener("input", function () { if (!navigator.onLine) { offline(); } });
  if (!navigator.onLine) { offline(); }

  var every = parseInt(form.dataset.autosaveMs || "30000", 10);
  setInterval(sync, every);
  show(); sums();
  // The page opens again without the network (see /sw.js).
  if ("serviceWorker" in navigator) { navigator.serviceWorker.register("/sw.js").catch(function () {}); }

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
