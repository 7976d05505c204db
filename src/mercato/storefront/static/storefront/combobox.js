// The search box and its suggestions as a WAI-ARIA combobox (APG "list autocomplete"):
// the focus stays in the box; ArrowDown/ArrowUp move through the options
// (aria-activedescendant), Enter opens the one chosen (or searches for the text typed),
// Escape closes the list (a second Escape clears the box). The suggestions come by htmx
// into the listbox; how many came is read out.
(function () {
  "use strict";
  var box = document.getElementById("search-q");
  var list = document.getElementById("search-suggestions");
  if (!box || !list) return;

  function options() { return Array.prototype.slice.call(list.querySelectorAll("[role=option]")); }
  function active() { return list.querySelector("[aria-selected=true]"); }

  function choose(option) {
    options().forEach(function (o) { o.setAttribute("aria-selected", o === option ? "true" : "false"); });
    if (option) {
      box.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    } else {
      box.removeAttribute("aria-activedescendant");
    }
  }

  function open(yes) {
    yes = yes && options().length > 0;
    box.setAttribute("aria-expanded", yes ? "true" : "false");
    list.hidden = !yes;
    if (!yes) choose(null);
  }

  function follow(option) {
    window.location.assign(option.getAttribute("data-href"));
  }

  list.addEventListener("htmx:afterSettle", function () {
    var n = options().length;
    open(document.activeElement === box);
    if (n && document.activeElement === box && window.mercatoAnnounce) {
      var text = n === 1 ? list.dataset.countOne : list.dataset.countMany.replace("{n}", n);
      window.mercatoAnnounce(text);
    }
  });

  box.addEventListener("keydown", function (e) {
    var all = options();
    var i = all.indexOf(active());
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      if (!all.length) return;
      e.preventDefault();
      if (box.getAttribute("aria-expanded") !== "true") open(true);
      var step = e.key === "ArrowDown" ? 1 : -1;
      // Past either end, back to the box (no option chosen), as the APG example does.
      var next = i === -1 ? (step > 0 ? 0 : all.length - 1) : i + step;
      choose(next >= 0 && next < all.length ? all[next] : null);
    } else if (e.key === "Enter" && i >= 0) {
      e.preventDefault();
      follow(all[i]);
    } else if (e.key === "Escape") {
      if (box.getAttribute("aria-expanded") === "true") {
        e.preventDefault();
        open(false);
      } else if (box.value) {
        e.preventDefault();
        box.value = "";
      }
    }
  });

  // A click (or tap) on an option opens it; the mousedown must not take the focus away
  // from the box first, or the list would close under the pointer.
  list.addEventListener("mousedown", function (e) { e.preventDefault(); });
  list.addEventListener("click", function (e) {
    var option = e.target.closest("[role=option]");
    if (option) follow(option);
  });
  box.addEventListener("blur", function () { open(false); });
  box.addEventListener("input", function () { choose(null); });
  open(false);
})();
