// Keyboard entry for the assessment workspace (no inline script: the CSP forbids it).
// j / ArrowDown: next requirement; k / ArrowUp: previous; 1 conformant, 2 partial,
// 3 nonconformant, 4 not applicable, 0 not assessed (sets and saves the result);
// n: notes; e: evidence; Ctrl+Enter (or Cmd+Enter) in a field: save; Escape: back to the row.
(function () {
  "use strict";
  var list = document.getElementById("workspace");
  if (!list) return;
  var KEYS = { "1": "conformant", "2": "partial", "3": "nonconformant", "4": "not_applicable", "0": "not_assessed" };

  function rows() { return Array.prototype.slice.call(list.querySelectorAll("article.req")); }
  function current() {
    var el = document.activeElement;
    return el && el.closest ? el.closest("article.req") : null;
  }
  function focusRow(row) {
    if (!row) return;
    row.focus({ preventScroll: false });
    row.scrollIntoView({ block: "nearest" });
  }
  function move(delta) {
    var all = rows();
    var at = all.indexOf(current());
    var next = at < 0 ? all[0] : all[Math.min(all.length - 1, Math.max(0, at + delta))];
    focusRow(next);
  }
  function save(row) {
    var form = row && row.querySelector("form.req-form");
    if (form && !form.querySelector("select[name=outcome]").disabled) form.requestSubmit();
  }
  function typing(el) {
    return el && (el.tagName === "TEXTAREA" || (el.tagName === "INPUT" && el.type !== "checkbox") || el.isContentEditable);
  }

  document.addEventListener("keydown", function (ev) {
    var el = document.activeElement;
    if ((ev.ctrlKey || ev.metaKey) && ev.key === "Enter") {
      var r = current();
      if (r && el && el.closest("form.req-form")) { ev.preventDefault(); save(r); }
      return;
    }
    if (ev.key === "Escape" && typing(el)) { focusRow(current()); return; }
    if (typing(el) || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (el && el.tagName === "SELECT" && (ev.key === "ArrowDown" || ev.key === "ArrowUp")) return;
    var row = current();
    if (ev.key === "j" || ev.key === "ArrowDown") { ev.preventDefault(); move(1); }
    else if (ev.key === "k" || ev.key === "ArrowUp") { ev.preventDefault(); move(-1); }
    else if (KEYS[ev.key] && row) {
      var select = row.querySelector("select[name=outcome]");
      if (select && !select.disabled) { ev.preventDefault(); select.value = KEYS[ev.key]; save(row); }
    } else if (ev.key === "n" && row) {
      var notes = row.querySelector("textarea[name=notes]");
      if (notes && !notes.disabled) { ev.preventDefault(); notes.focus(); }
    } else if (ev.key === "e" && row) {
      var label = row.querySelector("input.ev-label");
      if (label) { ev.preventDefault(); label.focus(); }
    }
  });

  // After htmx replaces a row, keep the keyboard where it was.
  document.body.addEventListener("htmx:afterSwap", function (ev) {
    var row = ev.detail && ev.detail.target && ev.detail.target.id ? document.getElementById(ev.detail.target.id) : null;
    if (row) focusRow(row);
  });

  // Opening the page on a requirement (#r-N, from the readiness list) focuses it.
  if (location.hash) focusRow(document.getElementById(location.hash.slice(1)));
})();
