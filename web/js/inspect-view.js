// The Inspect panel's DOM: the confusion matrix as a table of buttons, and the first layer's
// weights painted as one 28x28 tile per hidden unit.

import { digitCanvas, diverging, el, percent } from "./ui.js";
import { largestMistakeCount, weightsGrid } from "./inspect-helpers.js";

const TILE = 28;
const GAP = 2;

function cellButton(counts, max, r, c, onChoose) {
  const n = counts[r * 10 + c];
  const diagonal = r === c;
  const b = el("button", {
    type: "button",
    class: `cell${diagonal ? " diagonal" : ""}${n === 0 ? " zero" : ""}`,
    "data-true": String(r),
    "data-predicted": String(c),
    "aria-label": `${n} digit${n === 1 ? "" : "s"} that ${n === 1 ? "is" : "are"} ${r}, predicted ${c}`,
    text: String(n),
    onclick: () => onChoose(r, c, b),
  });
  if (!diagonal && n > 0 && max > 0) {
    // Off-diagonal mistakes: deeper orange for more; dark text stays readable on all of them.
    const [red, green, blue] = diverging(0.15 + (0.6 * n) / max);
    b.style.backgroundColor = `rgb(${red}, ${green}, ${blue})`;
  }
  return b;
}

/** The 10x10 confusion matrix (counts row by row, true digit by prediction); a cell calls onChoose(r, c, button). */
export function confusionTable(counts, onChoose) {
  const max = largestMistakeCount(counts);
  const head = el("tr", {}, el("td", { class: "corner" }, el("span", { class: "visually-hidden", text: "True digit by predicted digit" })),
    Array.from({ length: 10 }, (_, c) => el("th", { scope: "col", text: String(c) })));
  const rows = Array.from({ length: 10 }, (_, r) =>
    el("tr", {}, el("th", { scope: "row", text: String(r) }), Array.from({ length: 10 }, (_, c) => el("td", {}, cellButton(counts, max, r, c, onChoose)))),
  );
  return el("table", { class: "confusion" },
    el("caption", { class: "visually-hidden", text: "Confusion matrix: rows are the true digit, columns the prediction" }),
    el("thead", {}, el("tr", {}, el("td", {}), el("th", { scope: "colgroup", colspan: "10", class: "axis", text: "predicted" })), head),
    el("tbody", {}, rows));
}

/** Paint `units` rows of 784 weights as tiles, each scaled to its own largest weight. */
export function paintWeights(canvas, data, units) {
  const { columns, rows } = weightsGrid(units);
  canvas.width = columns * (TILE + GAP) - GAP;
  canvas.height = rows * (TILE + GAP) - GAP;
  const g = canvas.getContext("2d");
  const image = g.createImageData(canvas.width, canvas.height);
  image.data.fill(255);
  for (let u = 0; u < units; u++) {
    let scale = 0;
    for (let k = 0; k < 784; k++) scale = Math.max(scale, Math.abs(data[u * 784 + k]));
    scale = scale || 1;
    const ox = (u % columns) * (TILE + GAP);
    const oy = Math.floor(u / columns) * (TILE + GAP);
    for (let k = 0; k < 784; k++) {
      const [r, gr, b] = diverging(data[u * 784 + k] / scale);
      const at = ((oy + Math.floor(k / 28)) * canvas.width + ox + (k % 28)) * 4;
      image.data[at] = r;
      image.data[at + 1] = gr;
      image.data[at + 2] = b;
    }
  }
  g.putImageData(image, 0, 0);
  canvas.setAttribute("aria-label", `First-layer weights of ${units} hidden units, one 28 by 28 tile each`);
  canvas.style.setProperty("--columns", columns);
}

/**
 * The digits of one confusion cell (predicted as ``predicted``), each captioned by its number,
 * which is the link into the step-through; a help line before and a count after when cut short.
 */
export function cellGallery(digits, predicted, total) {
  const gallery = el("div", { class: "gallery", "data-testid": "cell-examples" },
    digits.map((d) => digitFigure(
      d,
      el("a", { href: `#/step/digit/${d.index}`, "data-testid": "cell-step", "aria-label": `Step through held-out digit ${d.index}`, title: "Step through this digit", text: `#${d.index}` }),
      `Held-out digit ${d.index}: a ${d.label}, predicted ${predicted}`,
    )));
  const help = el("p", { class: "muted", text: "Select a digit's number to step through what the network does with it." });
  const more = total > digits.length ? el("p", { class: "muted", text: `Showing ${digits.length} of ${total}.` }) : null;
  return [help, gallery, more].filter(Boolean);
}

/** One held-out digit ({index, image}) with a caption under it. */
export function digitFigure(digit, caption, label) {
  return el("figure", { class: "digit-card" }, digitCanvas(digit.image, label), el("figcaption", {}, caption));
}

/** The i-th of the confident mistakes `m` (App.evaluate's "mistakes"), as a figure. */
export function mistakeFigure(digit, m, i) {
  const p = m.probs[i * 10 + m.predicted[i]]; // probs holds one row of 10 per mistake
  return digitFigure(
    digit,
    el(
      "span",
      {},
      el("span", { class: "truth", text: `is ${m.label[i]}` }), " ", el("span", { class: "guess", text: `said ${m.predicted[i]} (${percent(p, 0)})` }), " ",
      el("a", { href: `#/step/digit/${digit.index}`, class: "step-link", "data-testid": "mistake-step", "aria-label": `Step through held-out digit ${digit.index}`, text: "Step through" }),
    ),
    `Held-out digit ${digit.index}: a ${m.label[i]}, predicted ${m.predicted[i]} with ${percent(p, 0)} probability`,
  );
}
