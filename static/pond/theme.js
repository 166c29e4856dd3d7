// Loaded in <head> before the stylesheet paints, so a remembered theme never flashes.
(function () {
  try {
    var theme = window.localStorage.getItem("pond-theme");
    if (theme === "light" || theme === "dark") {
      document.documentElement.setAttribute("data-theme", theme);
    }
  } catch (e) { /* storage disabled: follow the system */ }
})();
