// The Draw panel: a canvas for mouse, touch, pen and keyboard, and what the network makes of it.
//
// The page only reads the canvas's ink (its alpha channel) and sends it to the worker; pycore
// crops, scales and centres it the way MNIST digits were made and returns the 28x28 image it
// classified, the ten probabilities and the time it took.

import { makeFeatureMaps } from "./featuremaps.js";
import { makePad } from "./pad.js";
import { makePredictor } from "./predictor.js";
import { el, messageOf, paintGrey, percent } from "./ui.js";

export function mountDraw(section, ctx) {
  const { client, store } = ctx;
  const part = (id) => section.querySelector(`#${id}`);
  const canvas = part("draw-canvas");
  const display = makeDisplay(part);
  // For tests and benchmarks: body[data-predictions] counts finished predictions and
  // body[data-predicting] is "true" while one is on its way or the ink has no answer yet.
  const predictor = makePredictor(client, display, ({ finished, busy }) => {
    document.body.dataset.predictions = String(finished);
    document.body.dataset.predicting = String(busy);
  });

  function clear() {
    pad.clear();
    predictor.forget();
    display.clear();
    display.say("Drawing cleared.");
  }

  // Mouse, touch, pen and the keyboard cursor (pad.js). Predictions follow the ink while drawing
  // (predictor.js); the answer for the final ink is announced on release or Enter.
  const pad = makePad(canvas, part("kbd-cursor"), part("pen-state"), {
    onInk: () => predictor.request(),
    onStroke: (source) => {
      if (source === "pointer") predictor.release();
    },
    onKey: (event) => {
      if (event.key === "Enter") predictor.release();
      else if (event.key === "Delete" || event.key === "Backspace") clear();
      else return false;
      return true;
    },
  });
  predictor.usePad(pad);

  part("clear").addEventListener("click", clear);

  // A new network (training progress, upload, reset) deserves a fresh answer for the same drawing.
  store.subscribe((event) => {
    if (event.type === "model") display.network(event.model);
    if (event.type === "model") predictor.refresh();
  });

  display.clear();

  return {
    /** The drawing as ink (0..255, row by row), or null when the canvas is empty. */
    getDrawing() {
      if (!pad.hasInk) return null;
      return pad.drawing();
    },
    clear,
    show() {},
    hide() {},
  };
}

/** What the network makes of the drawing: the digit, its confidence, the ten bars, the 28x28 image. */
function makeDisplay(part) {
  const prediction = part("prediction");
  const confidence = part("confidence");
  const timing = part("timing");
  const live = part("announce");
  const seen = part("seen");
  const maps = makeFeatureMaps(part("seen-maps"));
  const bars = Array.from({ length: 10 }, (_, d) => {
    const fill = el("span", { class: "bar-fill" });
    const pct = el("span", { class: "bar-pct", text: "0%" });
    const item = el("li", { class: "bar" }, el("span", { class: "bar-digit", text: String(d) }), el("span", { class: "bar-track", "aria-hidden": "true" }, fill), pct);
    return { item, fill, pct };
  });
  part("bars").append(...bars.map((b) => b.item));
  const announce = ({ probs, digit }) => {
    live.textContent = `Prediction: ${digit}, ${percent(probs[digit], 0)} confident.`;
  };

  return {
    clear() {
      prediction.textContent = "";
      confidence.textContent = "Draw a digit to see what the network thinks it is.";
      timing.textContent = "";
      for (const bar of bars) {
        bar.fill.style.width = "0%";
        bar.pct.textContent = "0%";
        bar.item.classList.remove("top");
      }
      paintGrey(seen, new Float32Array(784));
      maps.clear();
    },
    /** A CNN also shows its first layer's feature maps. */
    network(model) {
      maps.setNetwork(model);
    },
    /** A drawing made while Python is still loading: it is read once the network is ready. */
    waiting() {
      prediction.textContent = "";
      confidence.textContent = "The network will read your drawing as soon as Python is ready.";
    },
    failed(err) {
      prediction.textContent = "";
      confidence.textContent = `Could not classify the drawing: ${messageOf(err)}`;
    },
    say(text) {
      live.textContent = text;
    },
    show(result, roundTrip, speak) {
      const { probs, digit } = result;
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
      maps.show(result.feature_maps, result.feature_shape);
      if (speak) announce(result);
    },
    announce,
  };
}
