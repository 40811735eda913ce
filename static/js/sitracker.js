// The signed-in person's menu (a <details> in base.html) closes on a tap elsewhere or Escape, as
// a menu does; without this script it still opens and closes on its own summary.
(function () {
  "use strict";
  function closeMenus(except) {
    document.querySelectorAll("details.user-menu[open]").forEach(function (menu) {
      if (menu !== except) {
        menu.open = false;
      }
    });
  }
  document.addEventListener("click", function (event) {
    closeMenus(event.target.closest ? event.target.closest("details.user-menu") : null);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      closeMenus(null);
    }
  });
})();

// Automatic logoff on a shared tablet: after the idle period the page goes to the switch screen,
// keeping what was typed but not yet saved, and puts it back when the same person opens the page
// again. Patient identity (fields marked data-no-draft) is never kept: the next person on the
// tablet must not find the last one's patient filled in.
(function () {
  "use strict";
  var body = document.body;
  var idleSeconds = Number(body.dataset.idleSeconds || 0);
  var switchUrl = body.dataset.switchUrl;
  var person = body.dataset.person;
  if (!idleSeconds || !switchUrl) {
    return;
  }
  var key = "sitracker:unsaved:" + location.pathname;

  try {
    var saved = JSON.parse(sessionStorage.getItem(key) || "null");
    sessionStorage.removeItem(key);
    if (saved && saved.person === person) {
      Object.keys(saved.fields).forEach(function (id) {
        var field = document.getElementById(id);
        if (field && !field.value) {
          field.value = saved.fields[id];
        }
      });
    }
  } catch (error) {
    // Storage may be disabled; losing the draft is better than breaking the page.
  }

  function unsavedFields() {
    var unsaved = {};
    document.querySelectorAll("input[id], textarea[id]").forEach(function (field) {
      var secret =
        field.type === "password" || field.type === "hidden" || "noDraft" in field.dataset;
      if (!secret && field.value && field.value !== field.defaultValue) {
        unsaved[field.id] = field.value;
      }
    });
    return unsaved;
  }

  function leave() {
    try {
      sessionStorage.setItem(key, JSON.stringify({ person: person, fields: unsavedFields() }));
    } catch (error) {
      // See above.
    }
    var here = location.pathname + location.search + location.hash;
    location.assign(switchUrl + "?next=" + encodeURIComponent(here));
  }

  var timer;
  function restart() {
    clearTimeout(timer);
    timer = setTimeout(leave, idleSeconds * 1000);
  }
  ["pointerdown", "keydown", "input", "wheel", "touchstart"].forEach(function (type) {
    window.addEventListener(type, restart, { passive: true });
  });
  restart();
})();
