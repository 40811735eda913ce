// The wall display (wall/): the minutes since the Time Out count up here, between the screens the
// server sends when the case changes (every change brings a new screen, and the count with it).
(function () {
  "use strict";
  function tick() {
    document.querySelectorAll("[data-since]").forEach(function (clock) {
      var since = Date.parse(clock.getAttribute("data-since"));
      var minutes = clock.querySelector("[data-minutes]");
      if (!isNaN(since) && minutes) {
        var text = Math.max(0, Math.floor((Date.now() - since) / 60000)) + " min";
        if (minutes.textContent !== text) {
          minutes.textContent = text;
        }
      }
    });
  }
  setInterval(tick, 15000);
})();
