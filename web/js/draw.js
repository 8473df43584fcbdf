// The Draw panel: a canvas for mouse, touch, pen and keyboard, and what the network makes of it.
//
// The page only reads the canvas's ink (its alpha channel) and sends it to the worker; pycore
// crops, scales and centres it the way MNIST digits were made and returns the 28x28 image it
// classified, the ten probabilities and the time it took.

import { makePad } from "./pad.js";
import { byId, el, messageOf, paintGrey, percent } from "./ui.js";

const THROTTLE_MS = 100;

export function mountDraw(ctx) {
  const { client, events } = ctx;
  const canvas = byId("draw-canvas");
  const cursor = byId("kbd-cursor");
  const prediction = byId("prediction");
  const confidence = byId("confidence");
  const timing = byId("timing");
  const announce = byId("announce");
  const seen = byId("seen");
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

  let generation = 0; // bumps on every clear, so late answers for an old drawing are dropped
  let timer = null;
  let inFlight = false;
  let dirty = false;
  let announceNext = false;

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
    pad.clear();
    generation += 1;
    dirty = false;
    clearTimeout(timer);
    timer = null;
    clearDisplay();
    announce.textContent = "Drawing cleared.";
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
    if (!pad.hasInk) {
      clearDisplay();
      return;
    }
    inFlight = true;
    const mine = generation;
    const started = performance.now();
    try {
      const pixels = pad.readInk();
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

  // Mouse, touch, pen and the keyboard cursor (pad.js). Predictions follow the ink while drawing,
  // and come at once (and are announced) on release or Enter.
  const pad = makePad(canvas, cursor, byId("pen-state"), {
    onInk: () => requestPrediction(),
    onStroke: (source) => {
      if (source === "pointer") requestPrediction(true, true);
    },
    onKey: (event) => {
      if (event.key === "Enter") requestPrediction(true, true);
      else if (event.key === "Delete" || event.key === "Backspace") clear();
      else return false;
      return true;
    },
  });

  byId("clear").addEventListener("click", () => {
    clear();
  });

  // A new network (training progress, upload, reset) deserves a fresh answer for the same drawing.
  events.addEventListener("model-changed", () => {
    if (pad.hasInk) requestPrediction();
  });

  clearDisplay();

  return {
    /** The drawing as ink (0..255, row by row), or null when the canvas is empty. */
    getDrawing() {
      if (!pad.hasInk) return null;
      return { pixels: pad.readInk(), width: canvas.width, height: canvas.height };
    },
    clear,
  };
}
