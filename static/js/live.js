// Live updates pushed by the server (server-sent events, checklists/live_push.py) where it offers
// them: an element with data-events (the checklist's #live-sync, the wall display's #wall-screen)
// makes its own htmx request ("live-changed") when its stream says that something changed,
// instead of asking every few seconds. The stream carries no patient data: what the page shows
// still comes from that request, with its checks. While the stream is down (no events server, a
// network gap, a refusal) the element asks every few seconds, as it does without push.
(function () {
  "use strict";
  var POLL_MS = 3000;
  var RETRY_REFUSED_MS = 30000; // a refused stream (a 4xx or 5xx) is tried again after this

  function follow(id) {
    var url = document.getElementById(id).getAttribute("data-events");
    var latest = 0; // the newest version the stream told of (a tablet's case)
    var polling = null;
    var source = null;

    function element() {
      var found = document.getElementById(id);
      return found && found.hasAttribute("data-events") ? found : null;
    }
    function ask() {
      var target = element();
      if (target) {
        htmx.trigger(target, "live-changed");
      } else if (source) {
        source.close(); // the case closed: nothing more can change on this page
        poll(false);
      }
    }
    // A change told while the page's own request was in flight was dropped with it (hx-sync):
    // once the page has settled, ask again if it still shows an older version.
    function catchUp() {
      var target = element();
      if (target && latest > Number(target.getAttribute("data-version"))) {
        ask();
      }
    }
    function poll(on) {
      if (on && !polling) {
        polling = setInterval(ask, POLL_MS);
      } else if (!on && polling) {
        clearInterval(polling);
        polling = null;
      }
    }
    function open() {
      source = new EventSource(url);
      source.addEventListener("open", function () {
        poll(false);
      });
      source.addEventListener("version", function (event) {
        latest = Math.max(latest, Number(event.data));
        catchUp();
      });
      source.addEventListener("changed", ask);
      source.addEventListener("error", function () {
        poll(true);
        if (source.readyState === EventSource.CLOSED) {
          setTimeout(open, RETRY_REFUSED_MS);
        }
      });
    }
    document.addEventListener("htmx:afterSettle", catchUp);
    open();
  }

  document.querySelectorAll("[data-events][id]").forEach(function (source) {
    follow(source.id);
  });
})();
