/* The confirmation step (portal/core/confirmation.py) in the page's own dialog: htmx puts
   the question into #confirm-dialog, this opens it; Cancel closes it instead of leaving. */
(function () {
  "use strict";
  document.addEventListener("htmx:afterSwap", function (event) {
    var dialog = document.getElementById("confirm-dialog");
    if (dialog && event.detail.target === dialog && !dialog.open) {
      dialog.setAttribute("aria-labelledby", "confirm-title");
      dialog.showModal();
    }
  });
  document.addEventListener("click", function (event) {
    var dialog = document.getElementById("confirm-dialog");
    var cancel = event.target.closest && event.target.closest("[data-dialog-close]");
    if (dialog && dialog.open && cancel && dialog.contains(cancel)) {
      event.preventDefault();
      dialog.close();
    }
  });
})();
