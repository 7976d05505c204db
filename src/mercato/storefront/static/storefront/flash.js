// Flash sale page: count down on the server's clock, fetch the buy token a minute before
// the start, enable the buttons at the start, and buy without leaving the page.
(function () {
  "use strict";
  var root = document.getElementById("flash-sale");
  if (!root) return;
  var d = root.dataset;
  var skew = Number(d.serverMs) - Date.now(); // server clock minus this browser's
  var starts = Number(d.startsMs), ends = Number(d.endsMs);
  var token = d.token, fetching = false;
  var label = root.querySelector(".flash-countdown-label");
  var clock = root.querySelector(".flash-countdown-clock");
  var buttons = root.querySelectorAll(".flash-buy button");

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function show(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    clock.textContent = pad(Math.floor(s / 3600)) + ":" + pad(Math.floor(s / 60) % 60) + ":" + pad(s % 60);
  }
  function fetchToken() {
    if (fetching || token || d.loggedIn !== "1") return;
    fetching = true;
    fetch(d.tokenUrl, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (body) { token = body.token || ""; })
      .finally(function () { fetching = false; });
  }
  function tick() {
    var now = Date.now() + skew;
    if (now < starts) {
      label.textContent = d.textStartsIn;
      show(starts - now);
      if (starts - now <= Number(d.earlySeconds) * 1000) fetchToken();
    } else if (now < ends) {
      label.textContent = d.textEndsIn;
      show(ends - now);
      if (!token) fetchToken();
      buttons.forEach(function (b) {
        if (!b.dataset.done) b.disabled = !token || d.loggedIn !== "1";
      });
    } else {
      label.textContent = d.textEnded;
      clock.textContent = "";
      buttons.forEach(function (b) { b.disabled = true; });
    }
  }
  root.querySelectorAll("form.flash-buy").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("button");
      var answer = form.parentNode.querySelector(".flash-answer");
      var data = new FormData(form);
      data.append("token", token);
      data.append("key", form.dataset.key || (form.dataset.key = String(Date.now()) + Math.random().toString(16).slice(2)));
      button.disabled = true;
      fetch(form.action, { method: "POST", body: data, credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (body) {
          if (body.ok) { window.location = body.pay_url; return; }
          answer.textContent = body.message;
          if (body.code === "sold_out") { button.dataset.done = "1"; button.textContent = button.dataset.textSoldout; }
          else { button.disabled = false; }
        })
        .catch(function () { answer.textContent = d.textFailed; button.disabled = false; });
    });
  });
  tick();
  setInterval(tick, 250);
})();
