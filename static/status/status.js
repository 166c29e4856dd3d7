// Keeps the status page current without a full reload: re-fetches the live part
// (/status/live/) every data-refresh-seconds and swaps it in, keeping the groups the
// reader opened or closed, and keyboard focus where it was.
// Without JavaScript the page still works (plain HTML and a <noscript> meta
// refresh). An external file, so the strict CSP holds.
(function () {
  "use strict";
  var live = document.getElementById("status-live");
  if (!live || !window.fetch) { return; }
  var url = live.getAttribute("data-live-url");
  var seconds = parseInt(live.getAttribute("data-refresh-seconds"), 10) || 10;
  var busy = false;

  function openGroups() {
    var state = {};
    live.querySelectorAll("details[data-model]").forEach(function (el) {
      state[el.getAttribute("data-model")] = el.open;
    });
    return state;
  }

  function restore(state) {
    live.querySelectorAll("details[data-model]").forEach(function (el) {
      var key = el.getAttribute("data-model");
      if (Object.prototype.hasOwnProperty.call(state, key)) { el.open = state[key]; }
    });
  }

  function refresh() {
    if (busy || document.hidden) { return; }
    busy = true;
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.text();
      })
      .then(function (html) {
        var state = openGroups();
        var focused = document.activeElement;
        var focusId = focused && focused !== live && live.contains(focused) ? focused.id : "";
        live.innerHTML = html;
        restore(state);
        // A keyboard user on a model's summary stays there (elements with an id).
        var again = focusId ? document.getElementById(focusId) : null;
        if (again) { again.focus({ preventScroll: true }); }
        live.removeAttribute("data-refresh-error");
      })
      .catch(function () {
        // Keep what is shown; its own freshness line says how old it is.
        live.setAttribute("data-refresh-error", "true");
      })
      .then(function () { busy = false; });
  }

  window.setInterval(refresh, seconds * 1000);
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) { refresh(); }
  });
})();
