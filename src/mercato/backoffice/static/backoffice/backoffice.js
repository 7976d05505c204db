// Small behaviours of the back office. No inline scripts: the CSP allows 'self' only.
document.addEventListener("change", (event) => {
  const box = event.target;
  if (!(box instanceof HTMLInputElement) || !box.dataset.selectAll) return;
  const form = box.closest("form");
  if (!form) return;
  for (const other of form.querySelectorAll(`input[type=checkbox][name="${box.dataset.selectAll}"]`)) {
    other.checked = box.checked;
  }
});

// The packing station (views_logistics.pack_scan): a wrong item answers 409 with the
// lines and the reason; show it like any answer, then sound a low buzz and flash red. A
// good scan sounds a short high beep. The scan box keeps the focus for the next item.
document.addEventListener("htmx:beforeSwap", (event) => {
  const status = event.detail.xhr.status;
  if ((status === 409 || status === 400) && event.detail.target.closest("[data-scan-target]")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

function tone(frequency, seconds, type) {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) return;
  const audio = new Context();
  const oscillator = audio.createOscillator();
  const gain = audio.createGain();
  oscillator.type = type;
  oscillator.frequency.value = frequency;
  gain.gain.value = 0.2;
  oscillator.connect(gain).connect(audio.destination);
  oscillator.start();
  oscillator.stop(audio.currentTime + seconds);
}

document.addEventListener("htmx:afterSwap", (event) => {
  const cue = event.detail.target.querySelector("[data-cue]");
  if (!cue) return;
  if (cue.dataset.cue === "error") {
    tone(180, 0.45, "square");
    document.body.classList.add("scan-error");
    setTimeout(() => document.body.classList.remove("scan-error"), 900);
  } else {
    tone(1200, 0.08, "sine");
  }
  const box = document.querySelector("input[name=code]");
  if (box) {
    box.value = "";
    box.focus();
  }
});
