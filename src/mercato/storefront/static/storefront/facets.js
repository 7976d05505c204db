// On a phone or a small tablet the filters fold behind their summary (筛选, with the count of
// filters in force), so the products are the first thing below the header; a wide screen
// keeps them open beside the products. The page is cached for every screen, so the folding
// is done here. After a filter is applied (an htmx swap of the results) they fold again.
(function () {
  "use strict";
  var small = window.matchMedia("(max-width: 959px)");

  function fold(root) {
    root.querySelectorAll("details[data-fold-small]").forEach(function (panel) {
      var on = panel.querySelectorAll('.facet [aria-current="true"]').length;
      var count = panel.querySelector("[data-filter-count]");
      var summary = panel.querySelector("summary");
      if (count) {
        count.textContent = on ? String(on) : "";
        count.hidden = !on;
      }
      if (summary && on) summary.setAttribute("aria-label", summary.dataset.activeLabel.replace("{n}", on));
      else if (summary) summary.removeAttribute("aria-label");
      if (small.matches) panel.removeAttribute("open");
      else panel.setAttribute("open", "");
    });
  }
  fold(document);
  document.addEventListener("htmx:afterSettle", function (e) { fold(e.detail.target || document); });
})();
