// Cart forms answer bad input (400) with the cart body or a note naming the problem; htmx
// leaves 4xx answers unswapped by default, so elements under [data-swap-errors] opt in.
(function () {
  "use strict";
  document.addEventListener("htmx:beforeSwap", function (e) {
    var from = e.target;
    if (e.detail.xhr.status === 400 && from.closest && from.closest("[data-swap-errors]")) {
      e.detail.shouldSwap = true;
      e.detail.isError = false;
    }
  });
})();
