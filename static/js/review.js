// The record's "Print record" button: shown only when JavaScript can print; without it, the
// browser's own Print command gives the same paper record (see review.css, @media print).
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  });
})();
