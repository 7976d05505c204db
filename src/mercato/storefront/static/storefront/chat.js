// The live chat widget (_chat.html): a WebSocket to /ws/chat/ (service/consumers.py). It
// connects when the shopper opens the panel, and again on the next page while a chat is on.
(function () {
  "use strict";
  var root = document.getElementById("chat");
  if (!root || !window.WebSocket) { return; }
  var $ = function (id) { return document.getElementById(id); };
  var panel = $("chat-panel"), toggle = $("chat-toggle"), log = $("chat-log"),
      start = $("chat-start"), send = $("chat-send"), input = $("chat-input"),
      state = $("chat-state"), typing = $("chat-typing"), error = $("chat-error"),
      end = $("chat-end");
  var ws = null, conversation = null, retry = 1000, typingTimer = null, lastTyping = 0;
  var KEY = "mercato-chat-open";

  function t(name, values) {
    var text = root.dataset["t" + name] || "";
    Object.keys(values || {}).forEach(function (k) { text = text.replace("%(" + k + ")s", values[k]); });
    return text;
  }

  function productSlug() {
    var m = location.pathname.match(/^\/p\/([^/]+)\/$/);
    return m ? m[1] : "";
  }

  function card(m) {
    var c = m.card || {}, a = document.createElement("a");
    a.className = "chat-card";
    a.href = c.url || "#";
    if (c.image) { var img = document.createElement("img"); img.src = c.image; img.alt = ""; a.appendChild(img); }
    var text = document.createElement("span");
    text.textContent = m.kind === "order"
      ? c.title + " · " + (c.status || "") + " · ¥" + (c.total || "")
      : c.title + (c.price ? " · ¥" + c.price : "");
    a.appendChild(text);
    return a;
  }

  function show(m) {
    var li = document.createElement("li");
    li.className = "from-" + m.side;
    li.dataset.id = m.id;
    if (m.kind === "text" || m.side === "system") { li.textContent = m.body; }
    else { li.appendChild(card(m)); }
    log.appendChild(li);
    log.scrollTop = log.scrollHeight;
  }

  function setStatus(status, agent, ticket) {
    var open = status === "waiting" || status === "active";
    state.textContent = status === "waiting" ? t("Waiting")
      : status === "active" ? t("With", {agent: agent}) : t("Ended", {ticket: ticket || ""});
    send.hidden = !open;
    end.hidden = !open;
    start.hidden = open;
    if (!open) { conversation = null; sessionStorage.removeItem(KEY); }
  }

  function onFrame(f) {
    if (f.type === "ready") { start.hidden = false; send.hidden = true; }
    else if (f.type === "conversation") {
      conversation = f.id;
      log.textContent = "";
      f.messages.forEach(show);
      setStatus(f.status, f.agent);
      sessionStorage.setItem(KEY, "1");
    } else if (f.type === "message") { show(f); typing.hidden = true; }
    else if (f.type === "typing") {
      typing.hidden = false;
      clearTimeout(typingTimer);
      typingTimer = setTimeout(function () { typing.hidden = true; }, 4000);
    } else if (f.type === "status") { setStatus(f.status, f.agent, f.ticket); }
    else if (f.type === "error") { error.textContent = f.errors && f.errors.length ? f.errors[0].message : f.message; }
  }

  function connect() {
    fetch(root.dataset.sessionUrl, {credentials: "same-origin"}).then(function (r) { return r.json(); })
      .then(function (who) {
        root.querySelector(".chat-guest").hidden = who.member;
        var scheme = location.protocol === "https:" ? "wss://" : "ws://";
        var socket = root.dataset.socket;  // a path, or a whole ws:// address (make demo)
        ws = new WebSocket(/^wss?:/.test(socket) ? socket : scheme + location.host + socket);
        ws.onopen = function () { retry = 1000; error.textContent = ""; };
        ws.onmessage = function (e) { onFrame(JSON.parse(e.data)); };
        ws.onclose = function (e) {
          ws = null;
          if (e.code === 4403 || panel.hidden) { return; }
          error.textContent = t("Offline");
          setTimeout(connect, retry);
          retry = Math.min(retry * 2, 30000);
        };
      }).catch(function () { setTimeout(connect, retry); retry = Math.min(retry * 2, 30000); });
  }

  function frame(f) {
    if (ws && ws.readyState === WebSocket.OPEN) { error.textContent = ""; ws.send(JSON.stringify(f)); }
  }

  function open() {
    panel.hidden = false;
    toggle.setAttribute("aria-expanded", "true");
    if (!ws) { connect(); }
  }

  toggle.addEventListener("click", function () {
    if (panel.hidden) { open(); } else { panel.hidden = true; toggle.setAttribute("aria-expanded", "false"); }
  });
  $("chat-hide").addEventListener("click", function () { panel.hidden = true; toggle.setAttribute("aria-expanded", "false"); toggle.focus(); });
  end.addEventListener("click", function () { frame({type: "close"}); });
  start.addEventListener("submit", function (e) {
    e.preventDefault();
    frame({type: "open", name: start.elements.name.value, contact: start.elements.contact.value,
           body: start.elements.body.value, product: productSlug()});
  });
  send.addEventListener("submit", function (e) {
    e.preventDefault();
    if (!input.value.trim()) { return; }
    frame({type: "message", body: input.value});
    input.value = "";
  });
  input.addEventListener("input", function () {
    if (conversation && Date.now() - lastTyping > 2000) { lastTyping = Date.now(); frame({type: "typing"}); }
  });
  if (sessionStorage.getItem(KEY)) { open(); }
})();
