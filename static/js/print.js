// The certificate's print button: shown only when JavaScript runs (the browser's own print
// command works without it). A file, not an inline handler, because of the CSP.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
});
