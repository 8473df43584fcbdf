// The Draw panel: a canvas for mouse, touch, pen and keyboard, and what the network makes of it.
//
// The page only reads the canvas's ink (its alpha channel) and sends it to the worker; pycore
// crops, scales and centres it the way MNIST digits were made and returns the 28x28 image it
// classified, the ten probabilities and the time it took.

import { byId, el, messageOf, paintGrey, percent } from "./ui.js";

const LINE_WIDTH = 20; // canvas pixels on a 280x280 canvas: about two MNIST pixels wide
const KEY_STEP = 10; // one MNIST pixel
const THROTTLE_MS = 100;

export function mountDraw(ctx) {
  const { client, events } = ctx;
  const canvas = byId("draw-canvas");
  const g = canvas.getContext("2d", { willReadFrequently: true });
  const cursor = byId("kbd-cursor");
  const prediction = byId("prediction");
  const confidence = byId("confidence");
  const timing = byId("timing");
  const announce = byId("announce");
  const seen = byId("seen");
  const penState = byId("pen-state");
  const barsList = byId("bars");

  const bars = [];
  for (let d = 0; d < 10; d++) {
    const fill = el("span", { class: "bar-fill" });
    const pct = el("span", { class: "bar-pct", text: "0%" });
    const item = el(
      "li",
      { class: "bar" },
      el("span", { class: "bar-digit", text: String(d) }),
      el("span", { class: "bar-track", "aria-hidden": "true" }, fill),
      pct,
    );
    barsList.append(item);
    bars.push({ item, fill, pct });
  }

  let hasInk = false;
  let generation = 0; // bumps on every clear, so late answers for an old drawing are dropped
  let activePointer = null;
  let last = null;
  const keyboard = { x: canvas.width / 2, y: canvas.height / 2, down: false };
  let timer = null;
  let inFlight = false;
  let dirty = false;
  let announceNext = false;

  function setupPen() {
    g.lineWidth = LINE_WIDTH;
    g.lineCap = "round";
    g.lineJoin = "round";
    g.strokeStyle = "#fff";
    g.fillStyle = "#fff";
  }
  setupPen();

  function dot(x, y) {
    g.beginPath();
    g.arc(x, y, LINE_WIDTH / 2, 0, Math.PI * 2);
    g.fill();
    hasInk = true;
  }

  function line(a, b) {
    g.beginPath();
    g.moveTo(a.x, a.y);
    g.lineTo(b.x, b.y);
    g.stroke();
    hasInk = true;
  }

  function point(event) {
    const rect = canvas.getBoundingClientRect();
    return {
      x: ((event.clientX - rect.left) * canvas.width) / rect.width,
      y: ((event.clientY - rect.top) * canvas.height) / rect.height,
    };
  }

  function clearDisplay() {
    prediction.textContent = "";
    confidence.textContent = "Draw a digit to see what the network thinks it is.";
    timing.textContent = "";
    for (const bar of bars) {
      bar.fill.style.width = "0%";
      bar.pct.textContent = "0%";
      bar.item.classList.remove("top");
    }
    paintGrey(seen, new Float32Array(784));
  }

  function clear() {
    g.clearRect(0, 0, canvas.width, canvas.height);
    hasInk = false;
    generation += 1;
    dirty = false;
    clearTimeout(timer);
    timer = null;
    keyboard.down = false;
    updatePenState();
    clearDisplay();
    announce.textContent = "Drawing cleared.";
  }

  function readInk() {
    const rgba = g.getImageData(0, 0, canvas.width, canvas.height).data;
    const ink = new Uint8Array(canvas.width * canvas.height);
    for (let i = 0; i < ink.length; i++) ink[i] = rgba[i * 4 + 3];
    return ink;
  }

  function show(result, roundTrip) {
    if (result.empty) {
      clearDisplay();
      return;
    }
    const probs = result.probs;
    const digit = result.digit;
    prediction.textContent = String(digit);
    confidence.textContent = `${percent(probs[digit], 0)} sure`;
    timing.textContent = `Computed in ${result.ms.toFixed(1)} ms in Python; ${roundTrip.toFixed(0)} ms from drawing to answer.`;
    timing.dataset.pythonMs = result.ms.toFixed(2);
    timing.dataset.roundTripMs = roundTrip.toFixed(2);
    for (let d = 0; d < 10; d++) {
      const p = probs[d];
      bars[d].fill.style.width = `${(p * 100).toFixed(1)}%`;
      bars[d].pct.textContent = percent(p, p >= 0.995 || p < 0.001 ? 0 : 1);
      bars[d].item.classList.toggle("top", d === digit);
    }
    paintGrey(seen, result.image);
    if (announceNext) {
      announce.textContent = `Prediction: ${digit}, ${percent(probs[digit], 0)} confident.`;
      announceNext = false;
    }
  }

  async function run() {
    timer = null;
    if (inFlight || !dirty) return;
    dirty = false;
    if (!hasInk) {
      clearDisplay();
      return;
    }
    inFlight = true;
    const mine = generation;
    const started = performance.now();
    try {
      const pixels = readInk();
      const result = await client.call("predict", { pixels, width: canvas.width, height: canvas.height });
      if (mine === generation) show(result, performance.now() - started);
    } catch (err) {
      if (mine === generation) {
        prediction.textContent = "";
        confidence.textContent = `Could not classify the drawing: ${messageOf(err)}`;
      }
    } finally {
      inFlight = false;
      if (dirty && !timer) run();
    }
  }

  /** Ask for a prediction: now (on release, Enter) or soon (while drawing). */
  function requestPrediction(now = false, speak = false) {
    dirty = true;
    if (speak) announceNext = true;
    if (now) {
      clearTimeout(timer);
      timer = null;
      run();
    } else if (!timer) {
      timer = setTimeout(run, THROTTLE_MS);
    }
  }

  // --- pointer: mouse, touch and pen ---------------------------------------------------------
  canvas.addEventListener("pointerdown", (event) => {
    if (activePointer !== null || (event.pointerType === "mouse" && event.button !== 0)) return;
    activePointer = event.pointerId;
    canvas.setPointerCapture(event.pointerId);
    cursor.hidden = true;
    last = point(event);
    dot(last.x, last.y);
    requestPrediction();
    event.preventDefault();
    canvas.focus({ preventScroll: true });
  });

  canvas.addEventListener("pointermove", (event) => {
    if (event.pointerId !== activePointer) return;
    const moves = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
    for (const e of moves.length ? moves : [event]) {
      const p = point(e);
      line(last, p);
      last = p;
    }
    requestPrediction();
  });

  function end(event) {
    if (event.pointerId !== activePointer) return;
    activePointer = null;
    last = null;
    requestPrediction(true, true);
  }
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  // Belt and braces: never let a touch on the canvas scroll or zoom the page.
  canvas.addEventListener("touchstart", (e) => e.preventDefault(), { passive: false });
  canvas.addEventListener("touchmove", (e) => e.preventDefault(), { passive: false });

  // --- keyboard ------------------------------------------------------------------------------
  function placeCursor() {
    cursor.style.left = `${(keyboard.x / canvas.width) * 100}%`;
    cursor.style.top = `${(keyboard.y / canvas.height) * 100}%`;
    cursor.classList.toggle("down", keyboard.down);
  }

  function updatePenState() {
    penState.textContent = keyboard.down ? "Pen down: the arrow keys draw." : "";
    placeCursor();
  }

  canvas.addEventListener("focus", () => {
    if (canvas.matches(":focus-visible")) {
      cursor.hidden = false;
      placeCursor();
    }
  });
  canvas.addEventListener("blur", () => {
    cursor.hidden = true;
    if (keyboard.down) {
      keyboard.down = false;
      updatePenState();
    }
  });

  const MOVES = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
  canvas.addEventListener("keydown", (event) => {
    const move = MOVES[event.key];
    if (move) {
      const step = KEY_STEP * (event.shiftKey ? 3 : 1);
      const from = { x: keyboard.x, y: keyboard.y };
      const half = LINE_WIDTH / 2;
      keyboard.x = Math.min(canvas.width - half, Math.max(half, keyboard.x + move[0] * step));
      keyboard.y = Math.min(canvas.height - half, Math.max(half, keyboard.y + move[1] * step));
      if (keyboard.down) {
        line(from, keyboard);
        requestPrediction();
      }
    } else if (event.key === " " || event.key === "Spacebar") {
      keyboard.down = !keyboard.down;
      if (keyboard.down) {
        dot(keyboard.x, keyboard.y);
        requestPrediction();
      }
      updatePenState();
    } else if (event.key === "Enter") {
      requestPrediction(true, true);
    } else if (event.key === "Delete" || event.key === "Backspace") {
      clear();
    } else if (event.key === "Escape" && keyboard.down) {
      keyboard.down = false;
      updatePenState();
    } else {
      return;
    }
    event.preventDefault();
    cursor.hidden = false;
    placeCursor();
  });

  byId("clear").addEventListener("click", () => {
    clear();
  });

  // A new network (training progress, upload, reset) deserves a fresh answer for the same drawing.
  events.addEventListener("model-changed", () => {
    if (hasInk) requestPrediction();
  });

  clearDisplay();

  return {
    /** The drawing as ink (0..255, row by row), or null when the canvas is empty. */
    getDrawing() {
      if (!hasInk) return null;
      return { pixels: readInk(), width: canvas.width, height: canvas.height };
    },
    clear,
  };
}
