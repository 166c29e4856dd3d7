// Pond's only script (CSP: script-src 'self'). Every page works without it;
// it adds the theme toggle and live deployment status.
(function () {
  "use strict";

  // --- Theme toggle, remembered in localStorage --------------------------------
  function currentTheme() {
    var chosen = document.documentElement.getAttribute("data-theme");
    if (chosen) { return chosen; }
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }
  function labelToggle(button) {
    var next = currentTheme() === "dark" ? "light" : "dark";
    button.textContent = next === "dark" ? "Dark theme" : "Light theme";
    button.setAttribute("aria-label", "Switch to the " + next + " theme");
  }
  var toggle = document.getElementById("theme-toggle");
  if (toggle) {
    toggle.hidden = false;
    labelToggle(toggle);
    toggle.addEventListener("click", function () {
      var next = currentTheme() === "dark" ? "light" : "dark";
      document.documentElement.setAttribute("data-theme", next);
      try { window.localStorage.setItem("pond-theme", next); } catch (e) { /* ignore */ }
      labelToggle(toggle);
    });
  }

  // --- A promotion's target: its rules panel and "archive production" follow it --------
  // Without this script the server shows the rules of the submitted target.
  function followArchive(select) {
    var archive = select.form && select.form.querySelector("[data-archive-when]");
    if (!archive) { return; }
    var applies = archive.getAttribute("data-archive-when") === select.value;
    if (archive.disabled === applies) { archive.checked = applies; }  // the target changed
    archive.disabled = !applies;
  }
  document.querySelectorAll("select[data-target-select], select#direct-to").forEach(function (select) {
    var panels = select.hasAttribute("data-target-select");
    function follow() {
      if (panels) {
        document.querySelectorAll("[data-rules-for]").forEach(function (panel) {
          panel.hidden = panel.getAttribute("data-rules-for") !== select.value;
        });
      }
      followArchive(select);
    }
    select.addEventListener("change", follow);
    follow();
  });

  // --- The data's age, counted from when it was fetched --------------------------------
  // A page may be served from the page cache for a few seconds, so the age the
  // server wrote can be behind; the fetch time it carries is not.
  function ageText(seconds) {
    if (seconds < 5) { return "as of just now"; }
    if (seconds < 60) { return "as of " + Math.floor(seconds) + " seconds ago"; }
    var minutes = Math.floor(seconds / 60);
    if (minutes < 60) { return "as of " + minutes + (minutes === 1 ? " minute" : " minutes") + " ago"; }
    var hours = Math.floor(minutes / 60);
    if (hours < 48) { return "as of " + hours + (hours === 1 ? " hour" : " hours") + " ago"; }
    return "as of " + Math.floor(hours / 24) + " days ago";
  }
  // Both times are the server's (the page is stamped with the server's clock as it
  // is sent), so a browser whose clock is off still shows the right age.
  var loadedAt = Date.now();
  document.querySelectorAll("[data-fetched-at]").forEach(function (el) {
    var fetched = parseFloat(el.getAttribute("data-fetched-at"));
    var serverNow = parseFloat(el.getAttribute("data-server-now"));
    if (!isFinite(fetched) || !isFinite(serverNow) || el.classList.contains("stale")) { return; }
    el.textContent = "Data " + ageText(Math.max(0, serverNow - fetched + (Date.now() - loadedAt) / 1000));
  });

  // --- Live deployment status, without reloading the page ---------------------------
  var badges = document.querySelectorAll("[data-deployment-status]");
  var statusUrl = document.body.getAttribute("data-status-url");
  var interval = parseFloat(document.body.getAttribute("data-poll-interval") || "5") * 1000;
  if (!badges.length || !statusUrl) { return; }

  function apply(payload) {
    var deployments = payload.deployments || {};
    document.querySelectorAll("[data-deployment-status]").forEach(function (el) {
      var info = deployments[el.getAttribute("data-deployment-status")];
      if (!info) { return; }
      if (el.textContent !== info.status) {
        el.textContent = info.status;
        el.className = "badge badge-" + info.css;
        // The time beside it was that of the old status: the new one began about now (UTC, as the server writes it).
        var since = el.parentNode && el.parentNode.querySelector("[data-status-since]");
        if (since) {
          var now = new Date();
          var hhmm = ("0" + now.getUTCHours()).slice(-2) + ":" + ("0" + now.getUTCMinutes()).slice(-2);
          since.textContent = "since " + hhmm + " today";
        }
      }
    });
    var fresh = document.querySelector("[data-live-freshness]");
    if (fresh && payload.freshness) { fresh.textContent = payload.freshness; }
  }
  function poll() {
    window.fetch(statusUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (payload) { if (payload) { apply(payload); } })
      .catch(function () { /* keep the last known status; try again next tick */ })
      .then(function () { window.setTimeout(poll, interval); });
  }
  window.setTimeout(poll, interval);
})();
