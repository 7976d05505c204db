// Placing an order survives a lost answer (issue 17): the form is sent with fetch, and when
// the answer never comes (a killed server process, a dropped connection) or says "busy, try
// again" (502, 503, 504; Retry-After honoured), it is sent again with the same idempotency
// key, so the server answers with the order the first try placed, or places it now. The
// shopper lands on the order (or its payment page), or reads plainly that it was not placed.
// Without JavaScript the form posts as before.
(function () {
  "use strict";
  var form = document.getElementById("checkout-form");
  var status = document.getElementById("place-status");
  if (!form || !status || !window.fetch || !window.FormData) return;
  var button = document.getElementById("place-order");
  var RETRY = { 0: true, 502: true, 503: true, 504: true };

  function say(text, kind) {
    status.hidden = false;
    status.className = "place-status " + (kind || "");
    status.textContent = text;
  }

  function wait(ms) {
    return new Promise(function (resolve) { setTimeout(resolve, ms); });
  }

  function delay(response, n) {
    var after = response && parseFloat(response.headers.get("Retry-After"));
    if (after >= 0) return after * 1000;
    var baseMs = parseInt(status.dataset.retryBaseMs || "1000", 10);
    return Math.min(baseMs * Math.pow(2, n - 1), 10000);
  }

  function done() {  // the shopper may press "Place order" again: same key, never twice
    delete form.dataset.placing;
    button.disabled = false;
  }

  function show(response) {
    var type = response.headers.get("Content-Type") || "";
    if (response.ok && type.indexOf("application/json") === 0) {
      // Placed (now or by an earlier try): the server names the order or its payment page.
      return response.json().then(function (data) { window.location.assign(data.location); });
    }
    if (response.redirected) {  // e.g. the log-in page
      window.location.assign(response.url);
      return;
    }
    // A page with the form's errors (400), sold out or a new total (409): as a plain post
    // would have shown it.
    return response.text().then(function (html) {
      document.open();
      document.write(html);
      document.close();
    });
  }

  function attempt(body, n) {
    var tries = parseInt(status.dataset.tries || "6", 10);
    say(n === 1 ? status.dataset.placing : status.dataset.retrying, "busy");
    return fetch(form.action, {
      method: "POST", body: body, credentials: "same-origin", redirect: "follow",
      headers: { "X-Requested-With": "fetch" },
    }).then(function (response) {
      if (!RETRY[response.status]) return show(response);
      if (n < tries) return wait(delay(response, n)).then(function () { return attempt(body, n + 1); });
      say(status.dataset.notPlaced, "error");  // the shop answered: busy, nothing placed
      done();
    }, function () {
      if (n < tries) return wait(delay(null, n)).then(function () { return attempt(body, n + 1); });
      say(status.dataset.unreachable, "error");  // no answer at all: not confirmed
      done();
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (form.dataset.placing) return;  // a second click while the first is on its way
    form.dataset.placing = "1";
    button.disabled = true;
    attempt(new FormData(form), 1);  // one body, one idempotency key, for every try
  });
})();
