// Low glare for dimmed theatres: Bootstrap's colour modes (data-bs-theme on <html>).
//
// Loaded in <head> without defer, before the page is painted, so a dark theatre never sees a
// white flash. The device's own setting (prefers-color-scheme) rules until someone taps the
// navbar's "Low glare" button; that choice is kept for this tablet (its browser's localStorage).
// Choosing what the device says anyway forgets the choice: the tablet follows its device again.
// Without script (or storage) the page keeps the light mode and hides the button.
(function () {
  "use strict";
  var KEY = "sitracker-theme";
  var root = document.documentElement;
  var deviceDark = window.matchMedia("(prefers-color-scheme: dark)");
  var unsaved = null; // a choice this page could not store (storage off): it lasts the page

  function storedChoice() {
    if (unsaved) {
      return unsaved;
    }
    try {
      return window.localStorage.getItem(KEY);
    } catch (blocked) {
      return null;
    }
  }

  function deviceTheme() {
    return deviceDark.matches ? "dark" : "light";
  }

  function wantedTheme() {
    var choice = storedChoice();
    return choice === "dark" || choice === "light" ? choice : deviceTheme();
  }

  function apply() {
    var theme = wantedTheme();
    root.setAttribute("data-bs-theme", theme);
    document.querySelectorAll("[data-theme-toggle]").forEach(function (button) {
      button.setAttribute("aria-pressed", String(theme === "dark"));
    });
  }

  function choose(theme) {
    try {
      if (theme === deviceTheme()) {
        window.localStorage.removeItem(KEY);
      } else {
        window.localStorage.setItem(KEY, theme);
      }
    } catch (blocked) {
      unsaved = theme;
    }
    apply();
  }

  apply();
  deviceDark.addEventListener("change", apply);
  // Paper is white: a record printed from the low-glare page prints in the light mode.
  window.addEventListener("beforeprint", function () {
    root.setAttribute("data-bs-theme", "light");
  });
  window.addEventListener("afterprint", apply);
  // Another tab of this tablet chose: follow it.
  window.addEventListener("storage", function (event) {
    if (event.key === KEY || event.key === null) {
      apply();
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-theme-toggle]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        choose(root.getAttribute("data-bs-theme") === "dark" ? "light" : "dark");
      });
    });
    apply();
  });
})();
