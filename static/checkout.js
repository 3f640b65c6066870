// The top-up's checkout form goes to the payment provider by itself: on a page that holds it,
// and when htmx swaps it in. Without JavaScript its button does the same.
(function () {
  function go() {
    var form = document.querySelector("form[data-checkout]");
    if (form && !form.dataset.sent) {
      form.dataset.sent = "1";
      form.submit();
    }
  }
  document.addEventListener("DOMContentLoaded", go);
  document.addEventListener("htmx:afterSettle", go);
})();
