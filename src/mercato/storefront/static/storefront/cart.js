// Cart forms answer bad input (400) with the cart body or a note naming the problem; htmx
// leaves 4xx answers unswapped by default, so targets under [data-swap-errors] opt in.
(function () {
  "use strict";
  document.addEventListener("htmx:beforeSwap", function (e) {
    var target = e.detail.target;  // the event fires on the swap's target
    if (e.detail.xhr.status === 400 && target && target.closest("[data-swap-errors]")) {
      e.detail.shouldSwap = true;
      e.detail.isError = false;
    }
  });
})();
