// The MNIST network at one step: the input as 28x28, vectors as signed colour maps or bars, the
// first layer's weights and their gradients as one 28x28 tile per neuron, probabilities as bars.
// Hovering, tapping or focusing a unit (arrow keys move within a map) shows its numbers.

import { el, diverging } from "./ui.js";
import { full, maxAbs, shapeText, short, tensorName } from "./step-format.js";

const TILE = 28;
const GAP = 2;
const CELL = 14;

/** The grid layout of n units: columns, rows. */
function grid(n) {
  const cols = n <= 16 ? n : Math.min(32, Math.ceil(Math.sqrt(n * 2)));
  return { cols, rows: Math.ceil(n / cols) };
}

/** The colour scale's end: the largest |value|, or for big arrays the 99.5th percentile of |value|
 * (a few outliers would otherwise wash every other value out to white). */
function scaleOf(data) {
  if (data.length < 2000) return { max: maxAbs(data) || 1, clipped: false };
  const abs = Float32Array.from(data, Math.abs).sort();
  const max = abs[Math.floor(abs.length * 0.995)] || abs[abs.length - 1] || 1;
  return { max, clipped: abs[abs.length - 1] > max };
}

function legend({ max, clipped }) {
  return el(
    "div",
    { class: "step-legend" },
    el("span", { text: `${clipped ? "≤ " : ""}−${short(max)}` }),
    el("span", { class: "step-scale", "aria-hidden": "true" }),
    el("span", { text: `${clipped ? "≥ " : ""}+${short(max)}` }),
    el("span", { class: "muted", text: "purple: negative, white: 0, orange: positive" }),
  );
}

/**
 * A canvas of `count` cells that can be hovered, tapped and walked with the arrow keys.
 * paint(ctx2d) draws everything; cellRect(j) gives a cell's box; describe(j) its numbers.
 */
function unitCanvas({ width, height, count, cols, cellRect, paint, describe, label, detail }) {
  const canvas = el("canvas", { class: "step-map", tabindex: "0", role: "img", "aria-label": label, width, height });
  canvas.style.aspectRatio = `${width} / ${height}`;
  const g = canvas.getContext("2d");
  let selected = -1;
  const draw = () => {
    paint(g);
    if (selected >= 0) {
      const r = cellRect(selected);
      g.lineWidth = 2;
      g.strokeStyle = "#111";
      g.strokeRect(r.x - 1, r.y - 1, r.w + 2, r.h + 2);
      g.strokeStyle = "#fff";
      g.lineWidth = 1;
      g.strokeRect(r.x - 2.5, r.y - 2.5, r.w + 5, r.h + 5);
    }
  };
  const select = (j) => {
    selected = Math.max(0, Math.min(count - 1, j));
    draw();
    detail.textContent = describe(selected);
  };
  const cellAt = (event) => {
    const box = canvas.getBoundingClientRect();
    const x = ((event.clientX - box.left) / box.width) * width;
    const y = ((event.clientY - box.top) / box.height) * height;
    for (let j = 0; j < count; j++) {
      const r = cellRect(j);
      if (x >= r.x - GAP / 2 && x < r.x + r.w + GAP / 2 && y >= r.y - GAP / 2 && y < r.y + r.h + GAP / 2) return j;
    }
    return -1;
  };
  canvas.addEventListener("pointermove", (event) => {
    const j = cellAt(event);
    if (j >= 0 && j !== selected) select(j);
  });
  canvas.addEventListener("pointerdown", (event) => {
    const j = cellAt(event);
    if (j >= 0) select(j);
  });
  canvas.addEventListener("focus", () => select(selected < 0 ? 0 : selected));
  canvas.addEventListener("keydown", (event) => {
    const moves = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: cols, ArrowUp: -cols, Home: -count, End: count };
    if (!(event.key in moves)) return;
    event.preventDefault();
    event.stopPropagation(); // the arrows move within the map here, not between steps
    select((selected < 0 ? 0 : selected) + moves[event.key]);
  });
  draw();
  return canvas;
}

function paintCells(g, n, cols, values, max, size) {
  g.clearRect(0, 0, g.canvas.width, g.canvas.height);
  for (let j = 0; j < n; j++) {
    const [r, gr, b] = diverging(max ? values[j] / max : 0);
    g.fillStyle = `rgb(${r} ${gr} ${b})`;
    g.fillRect(GAP + (j % cols) * (size + GAP), GAP + Math.floor(j / cols) * (size + GAP), size, size);
  }
}

/** Everything known about unit j of layer i at step s, in words. */
function unitNumbers(trace, s, i, j, known) {
  const T = trace.tensors;
  const n = trace.sizes[i + 1];
  const d = trace.dtype;
  const parts = [];
  for (const [key, name] of [
    [`forward.${i}.b`, "b"],
    [`forward.${i}.z`, "z"],
    [`forward.${i}.a`, "a"],
    [`backward.${i}.da`, "dL/da"],
    [`backward.${i}.dz`, "dL/dz"],
    [`backward.${i}.db`, "dL/db"],
    [`update.${i}.b`, "b new"],
  ]) {
    if (T[key] && known(key)) parts.push(`${name} = ${full(T[key].data[T[key].shape.length === 2 ? j : j % n], d)}`);
  }
  return `Layer ${i + 1}, neuron ${j}: ${parts.join(", ")}`;
}

function figure(title, shape, body, extra = []) {
  return el(
    "figure",
    { class: "step-figure" },
    el("figcaption", {}, el("strong", { text: title.text }), ": ", el("span", { class: "shape", text: shapeText(shape) }), el("span", { class: "muted", text: ` (${title.about})` })),
    body,
    ...extra,
  );
}

function bars(values, { probs = false, label = null, d }) {
  const max = probs ? 1 : maxAbs(values) || 1;
  const top = probs ? values.indexOf(Math.max(...values)) : -1;
  const list = el("ol", { class: `step-bars${probs ? "" : " signed"}`, start: "0" });
  values.forEach((v, j) => {
    const mark = [j === label ? "target" : null, j === top ? "top" : null].filter(Boolean);
    const fill = el("span", { class: "fill" });
    if (probs) fill.style.width = `${(v / max) * 100}%`;
    else {
      fill.style.width = `${(Math.abs(v) / max) * 50}%`;
      fill.style.left = v < 0 ? `${50 - (Math.abs(v) / max) * 50}%` : "50%";
      fill.classList.add(v < 0 ? "neg" : "pos");
    }
    list.append(
      el(
        "li",
        { class: mark.join(" ") },
        el("span", { class: "unit", text: String(j) }),
        el("span", { class: "track" }, fill),
        el("span", { class: "value", text: probs ? `${(v * 100).toFixed(2)}%` : full(v, d) }),
        mark.length ? el("span", { class: "tag", text: mark.map((m) => (m === "target" ? "target" : "highest")).join(", ") }) : null,
      ),
    );
  });
  return list;
}

/** The input digit as 28x28 grey pixels. */
function digitFigure(f) {
  const { trace, t, name, detail } = f;
  const data = t.data;
  const canvas = unitCanvas({
    width: 28 * 8, height: 28 * 8, count: 784, cols: 28,
    cellRect: (p) => ({ x: (p % 28) * 8, y: Math.floor(p / 28) * 8, w: 8, h: 8 }),
    paint: (g) => {
      for (let p = 0; p < 784; p++) {
        const v = Math.round(Math.max(0, Math.min(1, data[p])) * 255);
        g.fillStyle = `rgb(${v} ${v} ${v})`;
        g.fillRect((p % 28) * 8, Math.floor(p / 28) * 8, 8, 8);
      }
    },
    describe: (p) => `Pixel row ${Math.floor(p / 28)}, column ${p % 28}: ${full(data[p], trace.dtype)}`,
    label: `The input digit, 28 by 28 pixels${trace.label !== undefined ? `, labelled ${trace.label}` : ""}`,
    detail,
  });
  canvas.classList.add("step-digit");
  return figure(name, t.shape, canvas, [detail]);
}

/** The lowest and highest of row j of a (n, 784) matrix. */
function rowRange(data, j) {
  let lo = Infinity;
  let hi = -Infinity;
  for (let p = 0; p < 784; p++) {
    lo = Math.min(lo, data[j * 784 + p]);
    hi = Math.max(hi, data[j * 784 + p]);
  }
  return [lo, hi];
}

/** The first layer's weights (or their gradients): one 28x28 tile per neuron. */
function tilesFigure(f) {
  const { trace, s, known, t, name, detail, what, i: layer } = f;
  const data = t.data;
  const d = trace.dtype;
  const n = t.shape[0];
  const { cols, rows: r } = grid(n);
  const scale = scaleOf(data);
  const rect = (j) => ({ x: GAP + (j % cols) * (TILE + GAP), y: GAP + Math.floor(j / cols) * (TILE + GAP), w: TILE, h: TILE });
  const canvas = unitCanvas({
    width: GAP + cols * (TILE + GAP), height: GAP + r * (TILE + GAP), count: n, cols, cellRect: rect,
    paint: (g) => {
      const img = g.createImageData(g.canvas.width, g.canvas.height);
      img.data.fill(255);
      for (let j = 0; j < n; j++) {
        const { x: ox, y: oy } = rect(j);
        for (let p = 0; p < 784; p++) {
          const o = ((oy + Math.floor(p / 28)) * g.canvas.width + ox + (p % 28)) * 4;
          img.data.set(diverging(data[j * 784 + p] / scale.max), o);
        }
      }
      g.putImageData(img, 0, 0);
    },
    describe: (j) => {
      const [lo, hi] = rowRange(data, j);
      const what784 = what === "W" ? "weights" : "weight gradients";
      return `${name.text} row ${j} (neuron ${j}'s 784 ${what784}): from ${full(lo, d)} to ${full(hi, d)}. ${unitNumbers(trace, s, layer, j, known)}`;
    },
    label: `${name.text}: one 28 by 28 tile per neuron of layer ${layer + 1}, ${n} tiles. Focus and use the arrow keys to read a neuron's numbers.`,
    detail,
  });
  canvas.classList.add("pixelated");
  const fig = figure(name, t.shape, canvas, [legend(scale), detail]);
  fig.classList.add("wide");
  return fig;
}

/** Any other weight matrix (or its gradient): one coloured cell per weight. */
function matrixFigure(f) {
  const { trace, t, name, detail, i } = f;
  const data = t.data;
  const [nOut, nIn] = t.shape;
  const scale = scaleOf(data);
  const px = Math.max(1, Math.min(12, Math.floor(600 / nIn)));
  const py = Math.max(px, 6);
  const canvas = unitCanvas({
    width: nIn * px, height: nOut * py, count: nOut * nIn, cols: nIn,
    cellRect: (c) => ({ x: (c % nIn) * px, y: Math.floor(c / nIn) * py, w: px, h: py }),
    paint: (g) => {
      for (let c = 0; c < nOut * nIn; c++) {
        const [r, gg, b] = diverging(data[c] / scale.max);
        g.fillStyle = `rgb(${r} ${gg} ${b})`;
        g.fillRect((c % nIn) * px, Math.floor(c / nIn) * py, px, py);
      }
    },
    describe: (c) => `${name.text}[${Math.floor(c / nIn)}, ${c % nIn}] = ${full(data[c], trace.dtype)} (from neuron ${c % nIn} of layer ${i} to neuron ${Math.floor(c / nIn)} of layer ${i + 1})`,
    label: `${name.text}: ${nOut} rows by ${nIn} columns, one coloured cell per weight. Focus and use the arrow keys to read a weight.`,
    detail,
  });
  canvas.classList.add("pixelated", "step-matrix");
  const fig = figure(name, t.shape, canvas, [legend(scale), detail]);
  fig.classList.add("wide");
  return fig;
}

/** A vector per unit (z, a, da, dz, b, db of a batch of one): bars up to 16 units, else cells. */
function vectorFigure(f) {
  const { trace, s, known, t, name, detail, part, what, i } = f;
  const nLayers = trace.sizes.length - 1;
  const layer = part === "forward" && what === "x" ? i - 1 : i;
  const n = t.shape[t.shape.length - 1];
  const values = Array.from(t.data.subarray(0, n));
  const isOutput = layer === nLayers - 1;
  const probs = isOutput && part === "forward" && what === "a" && trace.activations[nLayers - 1] === "softmax";
  if (n <= 16) return figure(name, t.shape, bars(values, { probs, label: isOutput ? trace.label : null, d: trace.dtype }));
  const { cols, rows: r } = grid(n);
  const max = maxAbs(values) || 1;
  const canvas = unitCanvas({
    width: GAP + cols * (CELL + GAP), height: GAP + r * (CELL + GAP), count: n, cols,
    cellRect: (j) => ({ x: GAP + (j % cols) * (CELL + GAP), y: GAP + Math.floor(j / cols) * (CELL + GAP), w: CELL, h: CELL }),
    paint: (g) => paintCells(g, n, cols, values, max, CELL),
    describe: (j) => unitNumbers(trace, s, layer, j, known),
    label: `${name.text}: ${n} neurons as coloured cells. Focus and use the arrow keys to read a neuron's numbers.`,
    detail,
  });
  const zeros = values.filter((v) => v === 0).length;
  const note = zeros ? el("p", { class: "help", text: `${zeros} of ${n} values are exactly 0.` }) : null;
  return figure(name, t.shape, canvas, [legend({ max, clipped: false }), note, detail]);
}

/** The figure of one tensor of step s. */
function tensorFigure(trace, s, known, key) {
  const t = trace.tensors[key];
  const [part, index, what] = key.split(".");
  const f = {
    trace, s, known, key, t, part, what, i: Number(index),
    name: tensorName(key, trace.sizes.length - 1),
    detail: el("p", { class: "step-detail", "aria-live": "polite" }),
  };
  if ((key === "x" || key === "forward.0.x") && t.data.length === 784) return digitFigure(f);
  if (key === "y") return figure(f.name, t.shape, el("p", { text: `one-hot target: 1 at digit ${trace.label}, 0 elsewhere` }));
  if ((what === "W" || what === "dW") && t.shape[1] === 784) return tilesFigure(f);
  if (t.shape.length === 2 && (what === "W" || what === "dW")) return matrixFigure(f);
  return vectorFigure(f);
}

/** Render the figures of step s (its tensors) into host. */
export function renderMnist(host, trace, s, known) {
  const keys = trace.steps[s].tensors.filter((key) => key !== "loss" && key !== "loss_after" && trace.tensors[key]);
  host.replaceChildren(...keys.map((key) => tensorFigure(trace, s, known, key)));
}
