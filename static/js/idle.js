// Automatic logoff on a shared tablet, as the page sees it (the server's side and its rules are in
// accounts/middleware.py, which stays the authority: it ends the session whatever this believes).
//
// 1. Activity. A tap, a key, typing or scrolling by the person is activity: the page tells the server
//    with a heartbeat (a POST to data-heartbeat-url, answered 204) at most once per
//    data-heartbeat-seconds. Never from a timer: the live-sync poll and this script's own clock
//    keep no session alive. Activity while a heartbeat is on its way (a slow network) is sent
//    once it is answered. "Scrolling" is the person's wheel, touch or keys, not the scroll event,
//    which the browser also fires when a poll's answer changes the page above the fold.
// 2. The countdown. In the last data-countdown-seconds the page says "Signing out in 0:42 — tap
//    anywhere to stay" in a modal dialog; any tap or key on it closes it and sends the heartbeat.
//    The dialog is modal so that the tap meant "I am here" does not also press the button under
//    it: a "Mark done" must never be tapped by accident.
// 3. Drafts. When the session ends (this clock runs out, the heartbeat or any htmx request is
//    answered with the switch screen), what was typed and not saved is kept as a draft before the
//    tablet goes to the switch screen. The same person signing back in finds it in the same fields,
//    marked "Restored what you were typing" and not saved until they save it. Anyone else who signs
//    in on the tablet gets a clean page, and every draft not theirs is thrown away unseen.
//
// Where drafts live, and why: in this tab's sessionStorage, one per page (the page's path names the
// case: /cases/12/), holding the id of the person who typed it. Not on the server: an unsaved note
// may name the patient, and a server copy would be case data written outside the audited workflow
// and readable by whoever signs in next. Not in localStorage: it outlives the tab and is shared
// between tabs. Never in a URL (URLs end up in logs). Patient identity (fields marked
// data-no-draft), passwords and PINs are never kept: the next person must not find the last one's
// patient filled in.
(function () {
  "use strict";
  var body = document.body;
  var data = body.dataset;
  var idleMs = Number(data.idleSeconds || 0) * 1000;
  var person = data.person;
  if (!idleMs || !person || !data.switchUrl || !data.heartbeatUrl) {
    return; // nobody signed in (the switch screen, the login): no session to keep, no draft to touch
  }
  var heartbeatMs = Number(data.heartbeatSeconds || 60) * 1000;
  var countdownMs = Number(data.countdownSeconds || 60) * 1000;
  // The clock shown runs a second ahead of the server's: the server measured what is left as it
  // drew the page, a moment before this runs, and a tap at "0:01" must still reach it in time.
  // The page leaves a second after the end: it arrives at the switch screen when the session is
  // over there, not a moment before.
  var AHEAD_MS = 1000;
  var GRACE_MS = 1000;
  var RETRY_MS = 5000; // a heartbeat that failed (no network, a busy database) is tried again
  var DRAFT_PREFIX = "sitracker:draft:";
  var draftKey = DRAFT_PREFIX + location.pathname;

  var loadedAt = Date.now();
  var msLeft = Number(data.idleMsLeft || idleMs);
  var endsAt = loadedAt + msLeft; // when the server ends the session, as far as the page knows
  var lastBeatAt = endsAt - idleMs; // when the server last recorded activity
  var activeAt = 0; // the person's latest tap, key or scroll, as this page saw it
  var beating = false;
  var leaving = false;
  var dialog = document.getElementById("idle-countdown");
  var timeLeft = dialog ? dialog.querySelector("[data-countdown-time]") : null;

  // Drafts --------------------------------------------------------------------------------------

  function keepable(field) {
    var type = (field.type || "").toLowerCase();
    var never = ["hidden", "password", "radio", "checkbox", "file", "submit", "button", "reset"];
    return never.indexOf(type) < 0 && !("noDraft" in field.dataset) && !field.matches(":disabled");
  }

  function revisionOf(field) {
    var row = field.closest("[data-revision]");
    return row ? row.getAttribute("data-revision") : null;
  }

  function keepDrafts() {
    var fields = {};
    var count = 0;
    document.querySelectorAll("input[id], textarea[id]").forEach(function (field) {
      if (keepable(field) && field.value.trim() && field.value !== field.defaultValue) {
        fields[field.id] = { value: field.value, revision: revisionOf(field) };
        count += 1;
      }
    });
    try {
      if (count) {
        sessionStorage.setItem(draftKey, JSON.stringify({ person: person, fields: fields }));
      }
    } catch (error) {
      // Storage full or disabled: losing the draft is better than staying signed in.
    }
  }

  function storedDrafts() {
    var keys = [];
    for (var i = 0; i < sessionStorage.length; i++) {
      var key = sessionStorage.key(i);
      if (key && key.indexOf(DRAFT_PREFIX) === 0) {
        keys.push(key);
      }
    }
    return keys;
  }

  // This page's draft, if this person typed it; every draft of someone else goes, unread.
  function takeDraft() {
    var mine = null;
    storedDrafts().forEach(function (key) {
      var draft = null;
      try {
        draft = JSON.parse(sessionStorage.getItem(key));
      } catch (error) {
        // An unreadable draft is dropped with the rest.
      }
      if (!draft || draft.person !== person) {
        sessionStorage.removeItem(key);
      } else if (key === draftKey) {
        sessionStorage.removeItem(key);
        mine = draft;
      }
    });
    return mine;
  }

  function note(field, changed) {
    var id = "draft-note-" + field.id;
    var text = document.createElement("p");
    text.id = id;
    text.className = "draft-note";
    text.textContent = changed
      ? "Restored what you were typing. Not saved yet; this step changed since, so check it first."
      : "Restored what you were typing. Not saved yet.";
    var anchor = field.closest(".input-group") || field;
    anchor.insertAdjacentElement("afterend", text);
    var described = field.getAttribute("aria-describedby");
    field.setAttribute("aria-describedby", described ? id + " " + described : id);
    field.classList.add("is-restored");
  }

  function openPanelsAround(field) {
    for (var panel = field.closest("details"); panel; panel = panel.parentElement.closest("details")) {
      panel.open = true;
    }
  }

  function summary(count) {
    var main = document.getElementById("main");
    if (!main) {
      return;
    }
    var box = document.createElement("p");
    box.className = "alert alert-warning draft-summary";
    box.setAttribute("role", "status");
    box.textContent =
      "Restored what you were typing before the automatic sign-out (" + count +
      (count === 1 ? " field" : " fields") + ", marked below). Nothing of it is saved until you save it.";
    main.insertAdjacentElement("afterbegin", box);
  }

  function restoreDraft() {
    var draft;
    try {
      draft = takeDraft();
    } catch (error) {
      return; // storage disabled: no draft was kept either
    }
    if (!draft || !draft.fields) {
      return;
    }
    var restored = [];
    Object.keys(draft.fields).forEach(function (id) {
      var field = document.getElementById(id);
      var kept = draft.fields[id];
      // A field the page already fills differently (a value saved since, a form sent back with
      // an error) keeps what the page says.
      if (!field || !keepable(field) || field.value !== field.defaultValue || !kept) {
        return;
      }
      field.value = kept.value;
      note(field, kept.revision !== revisionOf(field));
      openPanelsAround(field);
      restored.push(field);
    });
    if (restored.length) {
      summary(restored.length);
      restored[0].scrollIntoView({ block: "center" });
    }
  }

  // Leaving -------------------------------------------------------------------------------------

  function leave() {
    if (leaving) {
      return;
    }
    leaving = true;
    keepDrafts();
    var here = location.pathname + location.search + location.hash;
    location.assign(data.switchUrl + "?next=" + encodeURIComponent(here));
  }

  // A request (the poll, a tap) answered with the switch screen: the session is over. htmx goes
  // there right after this event; the drafts are kept first.
  document.addEventListener("htmx:beforeOnLoad", function (event) {
    var xhr = event.detail.xhr;
    var to = xhr ? xhr.getResponseHeader("HX-Redirect") : null;
    if (!to || to.indexOf(data.switchUrl) !== 0) {
      return;
    }
    if (leaving) {
      // On the way already: a second load of the switch screen would lose its message.
      event.preventDefault();
      return;
    }
    leaving = true;
    keepDrafts();
  });

  // Nothing more is asked once the page is leaving (the poll would only hear "signed out").
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (leaving) {
      event.preventDefault();
    }
  });

  // The heartbeat -------------------------------------------------------------------------------

  function csrfToken() {
    try {
      return JSON.parse(data.hxHeaders || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function beat() {
    if (beating || leaving) {
      return;
    }
    beating = true;
    var sentAt = Date.now();
    lastBeatAt = sentAt;
    fetch(data.heartbeatUrl, {
      method: "POST",
      headers: { "X-CSRFToken": csrfToken() },
      credentials: "same-origin",
      cache: "no-store",
      redirect: "manual", // a session already over is answered with the switch screen
    })
      .then(function (response) {
        if (response.status === 204) {
          endsAt = Math.max(endsAt, sentAt + idleMs); // the server's end is a little later
        } else if (response.type === "opaqueredirect" || response.status === 403) {
          // Over, or signed in again elsewhere since this page was drawn (a new CSRF token).
          leave();
        } else {
          lastBeatAt = sentAt - heartbeatMs + RETRY_MS; // not recorded: the countdown goes on
        }
      })
      .catch(function () {
        lastBeatAt = sentAt - heartbeatMs + RETRY_MS;
      })
      .then(function () {
        beating = false;
        if (activeAt - lastBeatAt >= heartbeatMs) {
          // The person went on while this one was on its way: what they did meanwhile counts.
          beat();
        } else {
          tick();
        }
      });
  }

  function active(event) {
    if (!event.isTrusted || (dialog && dialog.open)) {
      return; // the dialog's own taps and keys dismiss it (below)
    }
    activeAt = Date.now();
    if (activeAt - lastBeatAt >= heartbeatMs) {
      beat();
    }
  }

  ["pointerdown", "keydown", "input", "wheel", "touchmove"].forEach(function (type) {
    window.addEventListener(type, active, { capture: true, passive: true });
  });

  // The countdown -------------------------------------------------------------------------------

  function clock(ms) {
    var seconds = Math.max(0, Math.ceil(ms / 1000));
    var rest = seconds % 60;
    return Math.floor(seconds / 60) + ":" + (rest < 10 ? "0" : "") + rest;
  }

  function stay(event) {
    if (event) {
      event.preventDefault();
    }
    if (dialog && dialog.open) {
      dialog.close();
    }
    beat();
  }

  if (dialog) {
    dialog.addEventListener("click", stay);
    // A key closes it when released, so that the key's own action does not land on the page.
    dialog.addEventListener("keyup", stay);
    dialog.addEventListener("cancel", stay); // Escape
  }

  function tick() {
    if (leaving) {
      return;
    }
    var left = endsAt - Date.now();
    if (left <= -GRACE_MS) {
      leave();
      return;
    }
    if (!dialog) {
      return;
    }
    if (left > countdownMs) {
      if (dialog.open) {
        dialog.close(); // kept alive by a heartbeat meanwhile
      }
      return;
    }
    var text = clock(left - AHEAD_MS);
    if (timeLeft.textContent !== text) {
      timeLeft.textContent = text;
    }
    if (!dialog.open && !beating) {
      dialog.showModal();
      var button = dialog.querySelector("button");
      if (button) {
        button.focus();
      }
    }
  }

  restoreDraft();
  setInterval(tick, 250);
  // A tablet waking from sleep catches up at once.
  document.addEventListener("visibilitychange", tick);
})();
