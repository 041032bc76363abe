// The explorer by pointing; the form works without this script (codes and periods typed).
(function () {
  "use strict";
  var form = document.getElementById("pivot-form");
  if (!form) { return; }
  // Searched without case or diacritics: "ha noi" finds "Hà Nội", "dong" finds "Đồng".
  function plain(text) {
    return String(text).normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .replace(/đ/g, "d").replace(/Đ/g, "D").toLowerCase();
  }
  document.querySelectorAll("input[data-filters]").forEach(function (search) {
    var list = document.getElementById(search.dataset.filters);
    if (!list) { return; }
    search.addEventListener("input", function () {
      var words = plain(search.value).split(/\s+/).filter(Boolean);
      Array.prototype.forEach.call(list.options, function (option) {
        var text = plain(option.textContent);
        option.hidden = !words.every(function (w) { return text.indexOf(w) >= 0; });
      });
    });
  });
  // Choosing an agency in the tree writes its code.
  document.querySelectorAll("select[data-fills]").forEach(function (picker) {
    var target = document.getElementById(picker.dataset.fills);
    picker.addEventListener("change", function () { if (target) { target.value = picker.value; } });
  });
  // A range of months writes the list of months.
  var from = document.getElementById("period-from");
  var to = document.getElementById("period-to");
  var periods = document.getElementById("pivot-periods");
  function months() {
    if (!from.value || !to.value) { return; }
    var start = from.value.split("-").map(Number), end = to.value.split("-").map(Number);
    var y = start[0], m = start[1], out = [];
    while ((y < end[0] || (y === end[0] && m <= end[1])) && out.length < 120) {
      out.push(String(y) + (m < 10 ? "0" : "") + m);
      m += 1;
      if (m > 12) { m = 1; y += 1; }
    }
    if (out.length) { periods.value = out.join(","); }
  }
  if (from && to && periods) {
    // The range shown is the one typed, when it is a run of months.
    var typed = periods.value.split(",");
    if (typed.length && typed.every(function (p) { return /^\d{6}$/.test(p); })) {
      from.value = typed[0].slice(0, 4) + "-" + typed[0].slice(4);
      to.value = typed[typed.length - 1].slice(0, 4) + "-" + typed[typed.length - 1].slice(4);
    }
    from.addEventListener("change", months);
    to.addEventListener("change", months);
  }
  // The placement selects become the rows= and columns= lists, in the order listed.
  form.addEventListener("submit", function () {
    var rows = [], columns = [];
    document.querySelectorAll("select.placement").forEach(function (select) {
      if (select.value === "rows") { rows.push(select.dataset.dimension); }
      if (select.value === "columns") { columns.push(select.dataset.dimension); }
      select.disabled = true;
    });
    document.getElementById("pivot-rows").value = rows.join(",");
    document.getElementById("pivot-columns").value = columns.join(",");
  });
})();
