// Small layout help on every page; each page works without it.
(function () {
  "use strict";
  // On a narrow screen the menu folds behind one button, so the page starts with its content.
  // Without this script the menu simply stays open.
  var button = document.querySelector("header.top .menu-toggle");
  var menu = document.getElementById("menu");
  if (button && menu) {
    document.documentElement.classList.add("menu-folds");
    button.hidden = false;
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", String(open));
      menu.classList.toggle("open", open);
    });
  }

  // Logging out forgets the report pages kept for offline work (see /sw.js).
  var logout = document.querySelector("form[action='/logout']");
  if (logout && window.caches) {
    logout.addEventListener("submit", function () { caches.delete("baocao-offline-v1"); });
  }

  // A table wider than the screen scrolls inside its own box; it takes the keyboard focus so
  // that it can be scrolled with the arrow keys too.
  function focusable() {
    document.querySelectorAll("main table").forEach(function (table) {
      var scrolls = table.scrollWidth > table.clientWidth + 1;
      if (scrolls && !table.hasAttribute("tabindex")) {
        table.setAttribute("tabindex", "0");
        table.dataset.scrolls = "true";
      } else if (!scrolls && table.dataset.scrolls === "true") {
        table.removeAttribute("tabindex");
        delete table.dataset.scrolls;
      }
    });
  }
  focusable();
  window.addEventListener("resize", focusable);

  // A long list of rows to pick from (a form's indicators): only the picked ones show, and a
  // search — without case or diacritics — brings up the others to add.
  function plain(text) {
    return String(text).normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .replace(/đ/g, "d").replace(/Đ/g, "D").toLowerCase();
  }
  document.querySelectorAll("input[data-filter-rows]").forEach(function (search) {
    var body = document.getElementById(search.dataset.filterRows);
    if (!body) { return; }
    function apply() {
      var words = plain(search.value).split(/\s+/).filter(Boolean);
      Array.prototype.forEach.call(body.rows, function (row) {
        var picked = row.querySelector("input[name$='_row']:checked") !== null;
        var text = plain(row.textContent);
        var found = words.length > 0 && words.every(function (w) { return text.indexOf(w) >= 0; });
        row.hidden = !(picked || found);
      });
    }
    search.addEventListener("input", apply);
    apply();
  });

  // Fields that apply to only some choices of a select (a deadline's kind) show only then.
  document.querySelectorAll("select[data-governs]").forEach(function (select) {
    var scope = select.closest("fieldset") || document;
    function apply() {
      scope.querySelectorAll("[data-kinds]").forEach(function (field) {
        field.hidden = field.dataset.kinds.split(" ").indexOf(select.value) < 0;
      });
    }
    select.addEventListener("change", apply);
    apply();
  });
})();
