// Focus and announcements around htmx swaps, for the shop and the back office (issue 18).
// An htmx swap replaces the element that had the focus: the browser then drops the focus on
// <body>, and a keyboard user's next Tab starts again at the logo. After every swap:
// - the control that was used gets the focus back (found again in the new content by its
//   place and name: the "+" of the same cart line, the same filter field), or
// - when it is gone (a removed line, a followed page link), or when the new content is the
//   answer to the step ([data-focus-new]: a price preview), the new content gets it;
// - and the change is read out: the text of the new content's [data-announce] elements goes
//   to the page's live region (#announcer), e.g. "2 件商品已选，合计 ¥98.00".
(function () {
  "use strict";

  var announcer;
  function announce(text) {
    announcer = announcer || document.getElementById("announcer");
    if (!announcer || !text) return;
    // Emptied first, filled a moment later: a screen reader reads a repeated text again.
    announcer.textContent = "";
    setTimeout(function () { announcer.textContent = text; }, 50);
  }
  window.mercatoAnnounce = announce;

  function label(el) {
    return (el.getAttribute("aria-label") || el.textContent || "").replace(/\s+/g, " ").trim();
  }

  // What identifies a control across a swap: its nearest ancestor with an id (the cart
  // line), its form's action, and its own tag, name, value and label.
  function describe(el) {
    if (!el || el === document.body || !el.closest) return null;
    var anchor = el.parentElement && el.parentElement.closest("[id]");
    var form = el.form || el.closest("form");
    return {
      id: el.id, anchor: anchor ? anchor.id : "", tag: el.tagName,
      action: form ? form.getAttribute("action") : null,
      name: el.getAttribute("name"), value: el.getAttribute("value"), label: label(el),
      link: el.tagName === "A",
    };
  }

  function usable(el) {
    return el && !el.disabled && el.getClientRects().length > 0;
  }

  function find(key) {
    if (key.id) {
      var same = document.getElementById(key.id);
      if (usable(same)) return same;
    }
    var scope = (key.anchor && document.getElementById(key.anchor)) || document;
    var candidates = Array.prototype.filter.call(scope.querySelectorAll(key.tag), function (el) {
      var form = el.form || el.closest("form");
      return (form ? form.getAttribute("action") : null) === key.action;
    });
    var exact = candidates.filter(function (el) {
      return el.getAttribute("name") === key.name && el.getAttribute("value") === key.value &&
        label(el) === key.label;
    });
    // A "+" that is now disabled (the line is at its limit): its line's quantity box instead.
    var pick = exact.filter(usable)[0];
    if (!pick && exact.length && key.tag === "BUTTON") {
      pick = candidates.filter(function (el) { return usable(el) && el !== exact[0]; })[0];
      if (!pick && scope !== document) {
        pick = Array.prototype.filter.call(scope.querySelectorAll("input:not([type=hidden]), button, a[href]"), usable)[0];
      }
    }
    return pick || null;
  }

  function focusContent(target) {
    var spot = target.querySelector("[data-focus-target]") || target.querySelector("h1, h2") || target;
    if (!spot.hasAttribute("tabindex") && !/^(A|BUTTON|INPUT|SELECT|TEXTAREA)$/.test(spot.tagName)) {
      spot.setAttribute("tabindex", "-1");
    }
    spot.focus({ preventScroll: false });
  }

  var pending = null;
  document.addEventListener("htmx:beforeRequest", function (e) {
    // The control that started the request: a click focuses its button or link, a
    // "change" trigger leaves the focus on the field. A request nobody asked for (the
    // mini-cart's "load", a progress poll) finds the focus on <body>: nothing to restore.
    var active = document.activeElement;
    pending = active && active !== document.body ? { key: describe(active) } : null;
  });

  // htmx settles the target and any out-of-band parts one by one: act once, after all.
  document.addEventListener("htmx:afterSettle", function (e) {
    var job = pending;
    pending = null;
    if (!e.detail.target) return;
    if (!job) return setTimeout(function () { polled(e.detail.target); }, 0);
    setTimeout(function () { settled(job, e.detail.target); }, 0);
  });

  // A poll nobody asked for (a background job's progress) leaves the focus alone, but what
  // its content marks [data-announce] (the job's result, once it is done) is read out.
  function polled(target) {
    if (!document.body.contains(target) && target.id) target = document.getElementById(target.id);
    if (!target || !target.matches("[data-announce-polled]")) return;
    announce(Array.prototype.map.call(target.querySelectorAll("[data-announce]"), label).join(" "));
  }

  function settled(job, target) {
    // An outerHTML swap replaced the target itself: the new one has its id.
    if (!document.body.contains(target) && target.id) target = document.getElementById(target.id);
    if (!target) target = document.getElementById("main") || document.body;
    if (target.closest("[data-no-focus]")) return;  // the search suggestions: the box keeps it
    var texts = Array.prototype.map.call(target.querySelectorAll("[data-announce]"), label);
    if (target.matches("[data-announce]")) texts.unshift(label(target));
    announce(texts.join(" "));
    // New content that is the answer to the step (a price preview): the focus goes to it.
    if (target.hasAttribute("data-focus-new") && target.firstElementChild) return focusContent(target);
    var active = document.activeElement;
    if (active && active !== document.body && document.body.contains(active)) return;  // kept
    var back = job.key && !job.key.link ? find(job.key) : null;
    if (back) back.focus();
    else focusContent(target);
  }
})();
