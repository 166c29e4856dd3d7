// Copy buttons (templates/status/copy_field.html): <button data-copy="<input id>"
// data-copy-said="<aria-live element id>">. A real button, so Enter and Space work;
// the result is announced in the aria-live element. Delegated from the document.
// Without JavaScript the buttons stay hidden (status.css) and the text stays
// selectable. Also opens the embed panel a "Badge to embed" link points into. An
// external file, so the strict CSP holds.
(function () {
  "use strict";
  document.documentElement.classList.add("status-can-copy");

  function say(button, text) {
    var said = document.getElementById(button.getAttribute("data-copy-said") || "");
    if (!said) { return; }
    // Emptied first, so the same words are announced again on a second copy.
    said.textContent = "";
    window.setTimeout(function () { said.textContent = text; }, 50);
  }

  function copyBySelection(field, button) {
    field.focus();
    field.select();
    var done = false;
    try { done = document.execCommand("copy"); } catch (e) { done = false; }
    if (done) { button.focus(); }  // the text stays selected for a manual copy otherwise
    return done;
  }

  // A "Badge to embed" link points into the closed panel of its model: open it.
  function reveal() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    var target = id ? document.getElementById(id) : null;
    if (!target || !target.closest) { return; }
    var panel = target.closest("details");
    if (panel && !panel.open) {
      panel.open = true;
      target.scrollIntoView();
    }
  }
  window.addEventListener("hashchange", reveal);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", reveal);
  } else {
    reveal();
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a.status-embed-link") : null;
    if (link && link.hash === window.location.hash) { window.setTimeout(reveal, 0); }
    var button = event.target.closest ? event.target.closest("button[data-copy]") : null;
    if (!button) { return; }
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) { return; }
    var label = document.querySelector("label[for='" + field.id + "']");
    var what = label ? label.textContent.trim() : "Text";
    var copied = what + " copied to the clipboard.";
    var manual = "Could not copy: " + what + " is selected, press Ctrl+C (⌘C on a Mac).";
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(
        function () { say(button, copied); },
        function () { say(button, copyBySelection(field, button) ? copied : manual); }
      );
    } else {
      say(button, copyBySelection(field, button) ? copied : manual);
    }
  });
})();
