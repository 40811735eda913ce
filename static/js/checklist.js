// The checklist page: say why a change was not saved when htmx does not swap the answer.
//
// A refused change (409, 422) comes back as the row with its message and is swapped (see the
// htmx-config meta tag). Other errors (a 400, 403 or 404 page, a 5xx, no network) are not
// swapped; their message goes into the alert slot of the row, panel or page they came from.
(function () {
  "use strict";

  function slotFor(elt) {
    var scope = elt && elt.closest ? elt.closest("[data-alert-scope]") : null;
    var slot = scope ? scope.querySelector("[data-alert-slot]") : null;
    return slot || document.getElementById("checklist-alert");
  }

  function show(elt, message) {
    var slot = slotFor(elt);
    if (slot) {
      slot.textContent = message;
      slot.hidden = false;
    }
  }

  function messageOf(xhr) {
    try {
      var page = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
      var node = page.querySelector("[data-error]") || page.querySelector(".error-page .lead");
      if (node && node.textContent.trim()) {
        return node.textContent.trim();
      }
    } catch (error) {
      // An unreadable answer falls through to the general message.
    }
    return "Something went wrong (error " + xhr.status + "). Reload the page and try again.";
  }

  function isPoll(elt) {
    return elt && elt.id === "live-sync";
  }

  function syncStatus(text) {
    var status = document.getElementById("sync-status");
    if (status && status.textContent !== text) {
      status.textContent = text;
    }
  }

  document.addEventListener("htmx:responseError", function (event) {
    var elt = event.detail.elt;
    if (isPoll(elt)) {
      syncStatus("Live updates stopped: " + messageOf(event.detail.xhr));
      return;
    }
    var xhr = event.detail.xhr;
    // A 4xx is a refusal: nothing was saved. A 5xx says itself what is known: a 503 (a busy or
    // read-only database) "Not saved", a 500 that the change may or may not have been saved.
    var refused = xhr.status >= 400 && xhr.status < 500;
    show(elt, (refused ? "Not saved. " : "") + messageOf(xhr));
  });

  document.addEventListener("htmx:sendError", function (event) {
    var elt = event.detail.elt;
    if (isPoll(elt)) {
      syncStatus("No connection: other tablets' changes may be missing until it is back.");
      return;
    }
    show(elt, "Not saved: no connection to the server. Check the network and tap again.");
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    if (isPoll(event.detail.elt) && event.detail.successful) {
      syncStatus("");
    }
  });

  // Someone else's change brings a row back even when only its lock moved. A row being typed in,
  // or with "Change…" or "Not applicable…" open, stays as it is unless the row itself changed
  // (its revision): the save that follows is checked by the server against the current state
  // anyway. When the row did change, the open panel closes on the new answer: its forms carried
  // the old revision, which the server would refuse.
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target;
    var incoming = event.detail.fragment && event.detail.fragment.firstElementChild;
    if (!target.classList.contains("step") || !incoming) {
      return;
    }
    if (incoming.getAttribute("data-revision") === target.getAttribute("data-revision") &&
        isBeingFilledIn(target)) {
      event.detail.shouldSwap = false;
    }
  });

  function isBeingFilledIn(row) {
    if (row.querySelector("details[open]")) {
      return true;
    }
    var fields = row.querySelectorAll("input:not([type=hidden]), textarea");
    for (var i = 0; i < fields.length; i++) {
      var field = fields[i];
      var changed = field.type === "radio" || field.type === "checkbox"
        ? field.checked !== field.defaultChecked
        : field.value !== field.defaultValue;
      if (changed || field === document.activeElement) {
        return true;
      }
    }
    return false;
  }

  // A new attempt clears the last failure's message in that place.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var slot = isPoll(event.detail.elt) ? null : slotFor(event.detail.elt);
    if (slot && slot.id !== "checklist-alert") {
      slot.hidden = true;
      slot.textContent = "";
    }
  });
})();

// Fitting the tablet: the phase stepper and "Next open step" (the sticky footer) take the person
// to their target in one tap, opening its folded phase; a link or an address to a row in a folded
// phase opens it too. The page's scroll padding follows the sticky header's and footer's heights,
// so that nothing jumped to (or focused) hides behind them. Without this script, the links still
// jump, and a phase folds and opens on its own summary.
(function () {
  "use strict";
  var root = document.documentElement;

  function measureStickyParts() {
    var header = document.querySelector(".case-header");
    var footer = document.getElementById("checklist-footer");
    if (header) {
      root.style.setProperty("--checklist-top", header.offsetHeight + 8 + "px");
    }
    var footerHeight = footer && !footer.hidden ? footer.offsetHeight : 0;
    root.style.setProperty("--checklist-bottom", footerHeight + 8 + "px");
  }

  function openPhaseOf(target) {
    var phase = target.closest("details.phase-steps");
    if (phase && !phase.open) {
      phase.open = true;
    }
  }

  // What the person has finished with folds away: the complete phases (but the target's) and
  // the rows recorded since the page was drawn. Done only at a tap on the footer, never under a
  // finger still tapping a row.
  function foldWhatIsDone(keep) {
    document.querySelectorAll("details.phase-steps[open]").forEach(function (phase) {
      var complete = phase.closest(".phase").querySelector(".phase-progress.is-complete");
      if (complete && phase !== keep) {
        phase.open = false;
      }
    });
    document.querySelectorAll(":is(.step-done, .step-na):not(.step-compact, .step-stop)")
      .forEach(function (row) {
        if (!row.querySelector("details[open], .step-error")) {
          row.classList.add("step-compact");
        }
      });
  }

  // Focus where the work is: the field to type in (a number, a text, an implant's barcode),
  // else the row itself, so that a screen reader reads what the step is.
  function focusStep(row) {
    var fields = row.querySelectorAll(
      ".step-answer:not([disabled]) :is(input[name=value]:not([type=hidden]), textarea[name=value])," +
        " .implant-form [name=udi]"
    );
    for (var i = 0; i < fields.length; i++) {
      if (fields[i].getClientRects().length) { // shown: not in a closed panel
        fields[i].focus({ preventScroll: true });
        return;
      }
    }
    if (!row.hasAttribute("tabindex")) {
      row.setAttribute("tabindex", "-1");
    }
    row.focus({ preventScroll: true });
  }

  function goToNextStep(link) {
    var row = document.getElementById(link.hash.slice(1));
    if (!row) {
      return false;
    }
    foldWhatIsDone(row.closest("details.phase-steps"));
    openPhaseOf(row);
    row.scrollIntoView({ block: "start" });
    focusStep(row);
    return true;
  }

  function goToPhase(link) {
    var section = document.getElementById(link.hash.slice(1));
    if (!section) {
      return false;
    }
    var steps = section.querySelector("details.phase-steps");
    if (steps) {
      steps.open = true;
    }
    section.scrollIntoView({ block: "start" });
    return true;
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[href^='#']") : null;
    if (!link || !link.closest(".checklist")) {
      return;
    }
    var handled = false;
    if (link.hasAttribute("data-next-step")) {
      handled = goToNextStep(link);
    } else if (link.hasAttribute("data-phase-link")) {
      handled = goToPhase(link);
    } else {
      var target = document.getElementById(link.hash.slice(1));
      if (target) {
        openPhaseOf(target); // the browser's own jump follows
      }
    }
    if (handled) {
      event.preventDefault();
    }
  });

  function revealAddressedRow() {
    var target = location.hash ? document.getElementById(location.hash.slice(1)) : null;
    if (target && target.closest("details.phase-steps:not([open])")) {
      openPhaseOf(target);
      target.scrollIntoView({ block: "start" });
    }
  }

  // After this tablet records a step, when the next open step is an implant step, its barcode
  // field takes the focus, so that the scanner (which types into whatever has the focus) is
  // ready without a tap; the page moves only as far as needed to show it. After an implant's
  // read-back is confirmed, its side's barcode field takes it back for the next scan. Nothing
  // is taken from a person who has put the focus somewhere else meanwhile.
  // The row or card that sent a request may be gone when the answer has settled (it was
  // redrawn): the request itself carries the mark.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    var xhr = event.detail.xhr;
    if (!elt.closest || !xhr) {
      return;
    }
    if (elt.closest(".step")) {
      xhr.fromStep = true;
    }
    var readBack = elt.closest(".read-back-confirm");
    var panel = readBack ? readBack.closest(".step-implants") : null;
    if (panel) {
      xhr.readBackIn = panel.id;
    }
  });
  function barcodeField(xhr) {
    var panel = xhr.readBackIn ? document.getElementById(xhr.readBackIn) : null;
    if (panel) {
      return panel.querySelector(".implant-form [name=udi]");
    }
    var link = document.querySelector("#checklist-footer [data-next-step]");
    var row = link ? document.getElementById(link.hash.slice(1)) : null;
    return row ? row.querySelector(".implant-form [name=udi]") : null;
  }
  document.addEventListener("htmx:afterSettle", function (event) {
    var xhr = event.detail.xhr;
    if (!xhr || !(xhr.fromStep || xhr.readBackIn) || xhr.status >= 300) {
      return;
    }
    var scan = barcodeField(xhr);
    // The row just redrawn has the focus (for a screen reader): not a field someone is in.
    var active = document.activeElement;
    var free = !active || active === document.body || active.classList.contains("step");
    if (scan && free && scan.getClientRects().length) {
      scan.focus();
    }
  });

  // "Stop: call a concern…": one tap opens it with its field focused, so the few words follow.
  document.addEventListener("click", function (event) {
    var summary = event.target.closest ? event.target.closest(".concern-call > summary") : null;
    if (!summary || summary.parentElement.open) {
      return;
    }
    event.preventDefault();
    summary.parentElement.open = true;
    var field = summary.parentElement.querySelector("input[name=reason]");
    if (field) {
      field.focus();
    }
  });

  measureStickyParts();
  revealAddressedRow();
  window.addEventListener("hashchange", revealAddressedRow);
  window.addEventListener("resize", measureStickyParts);
  document.addEventListener("htmx:afterSettle", measureStickyParts);
})();
