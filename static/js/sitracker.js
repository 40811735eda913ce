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

// A name chosen from a list of people leads straight to the secret that goes with it (the PIN on
// the switch screen, the surgeon's password on the signature): the form names that field in
// data-then-focus. Focused in the tap that chose the name, the field opens the tablet's keyboard.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var choice = event.target;
    var form = choice.form;
    if (choice.type !== "radio" || !form || !form.hasAttribute("data-then-focus")) {
      return;
    }
    var field = form.querySelector(form.getAttribute("data-then-focus"));
    if (field) {
      field.focus();
    }
  });
})();
