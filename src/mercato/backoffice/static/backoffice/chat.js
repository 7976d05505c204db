// The live chat console (service/chat.html): one WebSocket for every conversation the agent
// has open (service/consumers.py, AgentConsumer); each open conversation is a pane.
(() => {
  const root = document.getElementById("console");
  if (!root) return;
  const waiting = document.getElementById("waiting");
  const panes = document.getElementById("conversations");
  const errorBox = document.getElementById("console-error");
  const state = document.getElementById("console-state");
  const template = document.getElementById("pane-template");
  const me = Number(root.dataset.me);
  const t = (name) => root.dataset["t" + name] || "";
  let ws = null;
  let retry = 1000;

  const send = (frame) => {
    if (ws && ws.readyState === WebSocket.OPEN) {
      errorBox.textContent = "";
      ws.send(JSON.stringify(frame));
    }
  };

  const refreshCounts = () => {
    document.getElementById("waiting-count").textContent = waiting.children.length;
    document.getElementById("waiting-none").hidden = waiting.children.length > 0;
    document.getElementById("panes-none").hidden = panes.children.length > 0;
  };

  const addWaiting = (c) => {
    if (document.getElementById("waiting-" + c.id)) return;
    const li = document.createElement("li");
    li.id = "waiting-" + c.id;
    const who = document.createElement("span");
    who.textContent = `${c.name || "—"} · ${c.member ? t("Member") : t("Guest")}` +
      (c.product ? ` · ${c.product}` : "") + ` · ${c.started_at.slice(11, 16)}`;
    const button = document.createElement("button");
    button.className = "primary";
    button.textContent = t("Accept");
    button.addEventListener("click", () => send({type: "accept", conversation: c.id}));
    li.append(who, button);
    waiting.append(li);
    refreshCounts();
  };

  const removeWaiting = (id) => {
    document.getElementById("waiting-" + id)?.remove();
    refreshCounts();
  };

  const cardNode = (m) => {
    const c = m.card || {};
    const a = document.createElement("a");
    a.href = c.url || "#";
    a.target = "_blank";
    a.textContent = m.kind === "order"
      ? `📦 ${c.title} · ${c.status || ""} · ¥${c.total || ""}`
      : `🛍 ${c.title}${c.price ? " · ¥" + c.price : ""}`;
    return a;
  };

  const showMessage = (pane, m) => {
    const log = pane.querySelector(".chat-log");
    const li = document.createElement("li");
    li.className = "from-" + m.side;
    if (m.kind === "text" || m.side === "system") li.textContent = m.body;
    else li.append(cardNode(m));
    log.append(li);
    log.scrollTop = log.scrollHeight;
    if (m.side === "customer" && m.kind === "text") {
      send({type: "suggest", conversation: m.conversation, text: m.body});
    }
  };

  const setStatus = (pane, status, ticket) => {
    const badge = pane.querySelector(".pane-status");
    badge.textContent = t(status[0].toUpperCase() + status.slice(1));
    badge.className = "status pane-status status-" + status;
    if (status === "closed") {
      pane.classList.add("ended");
      pane.querySelectorAll("form button, textarea, input, select, .pane-close")
        .forEach((el) => { el.disabled = true; });
      if (ticket) {
        const link = pane.querySelector(".pane-ticket");
        link.hidden = false;
        link.href = `${root.dataset.ticketUrl}${ticket}/`;
        link.textContent = `${t("Ticket")} ${ticket}`;
      }
    }
  };

  const openPane = (c) => {
    removeWaiting(c.id);
    let pane = document.getElementById("pane-" + c.id);
    if (!pane) {
      pane = template.content.firstElementChild.cloneNode(true);
      pane.id = "pane-" + c.id;
      pane.dataset.id = c.id;
      wire(pane, c.id);
      panes.append(pane);
    }
    pane.querySelector(".pane-name").textContent = c.name || t("Customer");
    pane.querySelector(".pane-who").textContent =
      (c.member ? t("Member") : t("Guest")) + (c.product ? ` · ${c.product}` : "");
    pane.querySelector(".chat-log").textContent = "";
    c.messages.forEach((m) => showMessage(pane, m));
    setStatus(pane, c.status, c.ticket);
    refreshCounts();
  };

  const wire = (pane, id) => {
    const sendForm = pane.querySelector(".pane-send");
    const body = sendForm.elements.body;
    let lastTyping = 0;
    sendForm.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!body.value.trim()) return;
      send({type: "message", conversation: id, body: body.value});
      body.value = "";
    });
    body.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        sendForm.requestSubmit();
      }
    });
    body.addEventListener("input", () => {
      if (Date.now() - lastTyping > 2000) {
        lastTyping = Date.now();
        send({type: "typing", conversation: id});
      }
    });
    pane.querySelector(".pane-card").addEventListener("submit", (event) => {
      event.preventDefault();
      const f = event.target.elements;
      send({type: "card", conversation: id, kind: f.kind.value, ref: f.ref.value});
      f.ref.value = "";
    });
    pane.querySelector(".pane-handover").addEventListener("submit", (event) => {
      event.preventDefault();
      send({type: "handover", conversation: id, agent: Number(event.target.elements.agent.value)});
    });
    pane.querySelector(".pane-close").addEventListener("click", () => send({type: "close", conversation: id}));
  };

  const pane = (id) => document.getElementById("pane-" + id);

  const onFrame = (f) => {
    if (f.type === "waiting_list") {
      waiting.textContent = "";
      f.waiting.forEach(addWaiting);
    } else if (f.type === "waiting") addWaiting(f);
    else if (f.type === "taken") removeWaiting(f.id);
    else if (f.type === "conversation") openPane(f);
    else if (f.type === "message" && pane(f.conversation)) {
      showMessage(pane(f.conversation), f);
      pane(f.conversation).querySelector(".pane-typing").hidden = true;
    } else if (f.type === "typing" && pane(f.conversation)) {
      const note = pane(f.conversation).querySelector(".pane-typing");
      note.textContent = t("Typing");
      note.hidden = false;
      clearTimeout(note.timer);
      note.timer = setTimeout(() => { note.hidden = true; }, 4000);
    } else if (f.type === "status" && pane(f.conversation)) {
      if (f.status === "active" && f.agent_id !== me) {
        pane(f.conversation).remove();  // handed over to another agent
        refreshCounts();
      } else setStatus(pane(f.conversation), f.status, f.ticket);
    } else if (f.type === "suggestions" && pane(f.conversation)) {
      const list = pane(f.conversation).querySelector(".replies");
      list.textContent = "";
      f.replies.forEach((r) => {
        const li = document.createElement("li");
        const use = document.createElement("button");
        use.type = "button";
        use.className = "link";
        use.textContent = r.title;
        use.title = r.body;
        use.addEventListener("click", () => {
          pane(f.conversation).querySelector(".pane-send textarea").value = r.body;
        });
        li.append(use);
        list.append(li);
      });
    } else if (f.type === "error") {
      errorBox.textContent = f.errors && f.errors.length ? f.errors[0].message : f.message;
      if (f.code === "taken" && f.conversation) removeWaiting(f.conversation);
    }
  };

  const connect = () => {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = root.dataset.socket; // a path, or a whole ws:// address (make demo)
    ws = new WebSocket(/^wss?:/.test(socket) ? socket : scheme + location.host + socket);
    ws.onopen = () => {
      retry = 1000;
      state.textContent = t("Online");
      state.className = "status status-completed";
      errorBox.textContent = "";
    };
    ws.onmessage = (event) => onFrame(JSON.parse(event.data));
    ws.onclose = () => {
      state.textContent = t("Offline");
      state.className = "status status-held";
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    };
  };
  refreshCounts();
  connect();
})();
