// The MNIST network at one step: the input as 28x28, vectors as signed colour maps or bars, the
// first layer's weights and their gradients as one 28x28 tile per neuron, probabilities as bars.
// Hovering, tapping or focusing a unit (arrow keys move within a map) shows its exact numbers.
//
// Big pictures (a weight matrix of a large network has about a million numbers) never block the
// page: they are folded (a <details> the reader opens, remembered across steps) and painted in
// slices of a few milliseconds between frames, with a busy line while that takes longer than
// 150 ms. Colours come from a 256-entry table instead of one computation per pixel.

import { el, diverging } from "./ui.js";
import { exact, fmt, fmtAll } from "./numfmt.js";
import { maxAbs, shapeText, tensorName } from "./step-format.js";

const TILE = 28;
const GAP = 2;
const CELL = 14;
const SLICE_MS = 12; // the longest a slice of painting runs before giving the page back
const FOLD_PIXELS = 200_000; // pictures bigger than this are folded until the reader opens them
const SCALE_SAMPLE = 50_000;

/** The grid layout of n units: columns, rows. */
function grid(n) {
  const cols = n <= 16 ? n : Math.min(32, Math.ceil(Math.sqrt(n * 2)));
  return { cols, rows: Math.ceil(n / cols) };
}

/** The colour scale's end: the largest |value|, or for big arrays the 99.5th percentile of |value|
 * (a few outliers would otherwise wash every other value out to white), estimated on an even
 * sample of at most 50,000 values so that it stays fast for a million. */
function scaleOf(data) {
  if (data.length < 2000) return { max: maxAbs(data) || 1, clipped: false };
  const stride = Math.max(1, Math.floor(data.length / SCALE_SAMPLE));
  const abs = new Float32Array(Math.ceil(data.length / stride));
  for (let i = 0, k = 0; i < data.length; i += stride, k++) abs[k] = Math.abs(data[i]);
  abs.sort();
  const max = abs[Math.floor(abs.length * 0.995)] || abs[abs.length - 1] || 1;
  return { max, clipped: maxAbs(data) > max };
}

/** 256 RGB colours from -1 (purple) through 0 (white) to +1 (orange), as one flat array. */
function colourTable() {
  const table = new Uint8ClampedArray(256 * 3);
  for (let k = 0; k < 256; k++) table.set(diverging(k / 127.5 - 1), k * 3);
  return table;
}

/** The entry of the colour table for value/max. */
function colourIndex(value, max) {
  const t = value / max;
  return t >= 1 ? 255 : t <= -1 ? 0 : Math.round((t + 1) * 127.5);
}

function legend({ max, clipped }) {
  return el(
    "div",
    { class: "step-legend" },
    el("span", { text: `${clipped ? "≤ " : ""}-${fmt(max)}`, title: `-${exact(max)}` }),
    el("span", { class: "step-scale", "aria-hidden": "true" }),
    el("span", { text: `${clipped ? "≥ " : ""}+${fmt(max)}`, title: `+${exact(max)}` }),
    el("span", { class: "muted", text: "purple: negative, white: 0, orange: positive" }),
  );
}

/**
 * Paint `count` units into an ImageData in slices (paintUnit(img, j) paints unit j), showing
 * each slice as it is done; `busy(on)` is told when painting has taken over 150 ms and when it
 * ends. Stops when the canvas leaves the page (the reader moved on).
 */
function paintInSlices(canvas, count, paintUnit, busy, done) {
  const g = canvas.getContext("2d");
  const img = g.createImageData(canvas.width, canvas.height);
  img.data.fill(255);
  const started = performance.now();
  let shownBusy = false;
  let j = 0;
  const slice = () => {
    if (!canvas.isConnected && j > 0) {
      if (shownBusy) busy(false);
      return;
    }
    const until = performance.now() + SLICE_MS;
    while (j < count && performance.now() < until) {
      const end = Math.min(count, j + 8);
      for (; j < end; j++) paintUnit(img, j);
    }
    g.putImageData(img, 0, 0);
    if (j < count) {
      if (!shownBusy && performance.now() - started > 150) {
        shownBusy = true;
        busy(true);
      }
      canvas.dataset.painted = String(j / count);
      setTimeout(slice, 0);
      return;
    }
    canvas.dataset.painted = "1";
    if (shownBusy) busy(false);
    done(img);
  };
  slice();
}

/**
 * A canvas of `count` cells that can be hovered, tapped and walked with the arrow keys.
 * paintUnit(img, j) paints unit j into the canvas's ImageData; cellRect(j) gives a cell's box;
 * describe(j) its numbers. Painting happens in slices (paintInSlices); selection outlines are
 * drawn over the finished picture.
 */
function unitCanvas({ width, height, count, cols, cellRect, paintUnit, describe, label, detail, busy }) {
  const canvas = el("canvas", { class: "step-map", tabindex: "0", role: "img", "aria-label": label, width, height });
  canvas.style.aspectRatio = `${width} / ${height}`;
  const g = canvas.getContext("2d");
  let picture = null;
  let selected = -1;
  const draw = () => {
    if (!picture) return;
    g.putImageData(picture, 0, 0);
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
  canvas.paint = () => {
    if (canvas.dataset.painted) return;
    canvas.dataset.painted = "0";
    paintInSlices(canvas, count, paintUnit, busy || (() => {}), (img) => {
      picture = img;
      draw();
    });
  };
  return canvas;
}

/** Fill a rectangle of an ImageData with colour entry k of `table`. */
function fillRect(img, x0, y0, w, h, table, k) {
  const W = img.width;
  const d = img.data;
  for (let y = y0; y < y0 + h; y++) {
    for (let x = x0; x < x0 + w; x++) {
      const o = (y * W + x) * 4;
      d[o] = table[k * 3];
      d[o + 1] = table[k * 3 + 1];
      d[o + 2] = table[k * 3 + 2];
      d[o + 3] = 255;
    }
  }
}

/** Everything known about unit j of layer i at step s, exactly (the hover/focus detail). */
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
    if (T[key] && known(key)) parts.push(`${name} = ${exact(T[key].data[T[key].shape.length === 2 ? j : j % n], d)}`);
  }
  return `Layer ${i + 1}, neuron ${j}: ${parts.join(", ")}`;
}

function caption(title, shape) {
  return el("figcaption", {}, el("strong", { text: title.text }), ": ", el("span", { class: "shape", text: shapeText(shape) }), el("span", { class: "muted", text: ` (${title.about})` }));
}

function figure(title, shape, body, extra = []) {
  return el("figure", { class: "step-figure" }, caption(title, shape), body, ...extra);
}

/**
 * A figure whose picture is big: folded under a summary unless the reader opened this tensor's
 * picture before (f.open), painted when shown. Small pictures are shown and painted at once.
 */
function pictureFigure(f, canvas, extra) {
  const big = canvas.width * canvas.height > FOLD_PIXELS;
  if (!big) {
    const fig = figure(f.name, f.t.shape, canvas, extra);
    queueMicrotask(() => canvas.paint());
    return fig;
  }
  const details = el(
    "details",
    { class: "step-fold", "data-tensor": f.key },
    el("summary", { text: `Show the picture of ${f.name.text} (${f.t.data.length.toLocaleString("en-GB")} numbers)` }),
    canvas,
    ...extra,
  );
  details.open = f.opts.open.has(f.key);
  details.addEventListener("toggle", () => {
    if (details.open) canvas.paint();
    f.opts.onToggle(f.key, details.open);
  });
  if (details.open) queueMicrotask(() => canvas.paint());
  return el("figure", { class: "step-figure wide" }, caption(f.name, f.t.shape), details);
}

function bars(values, { probs = false, label = null, d }) {
  const max = probs ? 1 : maxAbs(values) || 1;
  const top = probs ? values.indexOf(Math.max(...values)) : -1;
  const texts = fmtAll(values, { dtype: d });
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
        el("span", { class: "value", title: exact(v, d), text: probs ? `${fmt(v * 100)}%` : texts[j] }),
        mark.length ? el("span", { class: "tag", text: mark.map((m) => (m === "target" ? "target" : "highest")).join(", ") }) : null,
      ),
    );
  });
  return list;
}

/** The input digit as 28x28 grey pixels. */
function digitFigure(f) {
  const { trace, t, detail } = f;
  const data = t.data;
  const canvas = unitCanvas({
    width: 28 * 8, height: 28 * 8, count: 784, cols: 28,
    cellRect: (p) => ({ x: (p % 28) * 8, y: Math.floor(p / 28) * 8, w: 8, h: 8 }),
    paintUnit: (img, p) => {
      const v = Math.round(Math.max(0, Math.min(1, data[p])) * 255);
      fillRect(img, (p % 28) * 8, Math.floor(p / 28) * 8, 8, 8, [v, v, v], 0);
    },
    describe: (p) => `Pixel row ${Math.floor(p / 28)}, column ${p % 28}: ${exact(data[p], trace.dtype)}`,
    label: `The input digit, 28 by 28 pixels${trace.label !== undefined ? `, labelled ${trace.label}` : ""}`,
    detail,
    busy: f.opts.busy,
  });
  canvas.classList.add("step-digit");
  return pictureFigure(f, canvas, [detail]);
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
  const table = colourTable();
  const rect = (j) => ({ x: GAP + (j % cols) * (TILE + GAP), y: GAP + Math.floor(j / cols) * (TILE + GAP), w: TILE, h: TILE });
  const canvas = unitCanvas({
    width: GAP + cols * (TILE + GAP), height: GAP + r * (TILE + GAP), count: n, cols, cellRect: rect,
    paintUnit: (img, j) => {
      const { x: ox, y: oy } = rect(j);
      for (let p = 0; p < 784; p++) fillRect(img, ox + (p % 28), oy + Math.floor(p / 28), 1, 1, table, colourIndex(data[j * 784 + p], scale.max));
    },
    describe: (j) => {
      const [lo, hi] = rowRange(data, j);
      const what784 = what === "W" ? "weights" : "weight gradients";
      return `${name.text} row ${j} (neuron ${j}'s 784 ${what784}): from ${exact(lo, d)} to ${exact(hi, d)}. ${unitNumbers(trace, s, layer, j, known)}`;
    },
    label: `${name.text}: one 28 by 28 tile per neuron of layer ${layer + 1}, ${n} tiles. Focus and use the arrow keys to read a neuron's numbers.`,
    detail,
    busy: f.opts.busy,
  });
  canvas.classList.add("pixelated");
  const fig = pictureFigure(f, canvas, [legend(scale), detail]);
  fig.classList.add("wide");
  return fig;
}

/** Any other weight matrix (or its gradient): one coloured cell per weight. */
function matrixFigure(f) {
  const { trace, t, name, detail, i } = f;
  const data = t.data;
  const [nOut, nIn] = t.shape;
  const scale = scaleOf(data);
  const table = colourTable();
  const px = Math.max(1, Math.min(12, Math.floor(600 / nIn)));
  const py = Math.max(px, nOut > 64 ? 2 : 6);
  const canvas = unitCanvas({
    width: nIn * px, height: nOut * py, count: nOut, cols: 1,
    cellRect: (row) => ({ x: 0, y: row * py, w: nIn * px, h: py }),
    paintUnit: (img, row) => {
      for (let c = 0; c < nIn; c++) fillRect(img, c * px, row * py, px, py, table, colourIndex(data[row * nIn + c], scale.max));
    },
    describe: (row) => {
      const values = Array.from(data.subarray(row * nIn, row * nIn + Math.min(nIn, 8)), (v) => exact(v, trace.dtype));
      return `${name.text} row ${row} (into neuron ${row} of layer ${i + 1}): ${values.join(", ")}${nIn > 8 ? `, … (${nIn} in all)` : ""}`;
    },
    label: `${name.text}: ${nOut} rows by ${nIn} columns, one coloured cell per weight. Focus and use the arrow keys to read a row of weights.`,
    detail,
    busy: f.opts.busy,
  });
  canvas.classList.add("pixelated", "step-matrix");
  const fig = pictureFigure(f, canvas, [legend(scale), detail]);
  fig.classList.add("wide");
  return fig;
}

/** A vector per unit (z, a, da, dz, b, db of a batch of one): bars up to 16 units, else cells. */
function vectorFigure(f) {
  const { trace, s, known, t, name, detail, part, what, i } = f;
  const nLayers = trace.sizes.length - 1;
  const layer = part === "forward" && what === "x" ? i - 1 : i;
  const n = t.shape[t.shape.length - 1];
  const values = t.data.subarray(0, n);
  const isOutput = layer === nLayers - 1;
  const probs = isOutput && part === "forward" && what === "a" && trace.activations[nLayers - 1] === "softmax";
  if (n <= 16) return figure(name, t.shape, bars(Array.from(values), { probs, label: isOutput ? trace.label : null, d: trace.dtype }));
  const { cols, rows: r } = grid(n);
  const max = maxAbs(values) || 1;
  const table = colourTable();
  const rect = (j) => ({ x: GAP + (j % cols) * (CELL + GAP), y: GAP + Math.floor(j / cols) * (CELL + GAP), w: CELL, h: CELL });
  const canvas = unitCanvas({
    width: GAP + cols * (CELL + GAP), height: GAP + r * (CELL + GAP), count: n, cols, cellRect: rect,
    paintUnit: (img, j) => {
      const { x, y } = rect(j);
      fillRect(img, x, y, CELL, CELL, table, colourIndex(values[j], max));
    },
    describe: (j) => unitNumbers(trace, s, layer, j, known),
    label: `${name.text}: ${n} neurons as coloured cells. Focus and use the arrow keys to read a neuron's numbers.`,
    detail,
    busy: f.opts.busy,
  });
  let zeros = 0;
  for (let j = 0; j < n; j++) if (values[j] === 0) zeros++;
  const note = zeros ? el("p", { class: "help", text: `${zeros} of ${n} values are exactly 0.` }) : null;
  return pictureFigure(f, canvas, [legend({ max, clipped: false }), note, detail].filter(Boolean));
}

/** The figure of one tensor of step s. */
function tensorFigure(trace, s, known, key, opts) {
  const t = trace.tensors[key];
  const [part, index, what] = key.split(".");
  const f = {
    trace, s, known, key, t, part, what, i: Number(index), opts,
    name: tensorName(key, trace.sizes.length - 1),
    detail: el("p", { class: "step-detail", "aria-live": "polite" }),
  };
  if ((key === "x" || key === "forward.0.x") && t.data.length === 784) return digitFigure(f);
  if (key === "y") return figure(f.name, t.shape, el("p", { text: `one-hot target: 1 at digit ${trace.label}, 0 elsewhere` }));
  if ((what === "W" || what === "dW") && t.shape[1] === 784) return tilesFigure(f);
  if (t.shape.length === 2 && (what === "W" || what === "dW")) return matrixFigure(f);
  return vectorFigure(f);
}

/**
 * Render the figures of step s (its tensors) into host. opts: open (a Set of the tensors whose
 * folded picture the reader opened), onToggle(key, open), busy(on) for slow painting.
 */
export function renderMnist(host, trace, s, known, opts = {}) {
  const o = { open: opts.open || new Set(), onToggle: opts.onToggle || (() => {}), busy: opts.busy };
  const keys = trace.steps[s].tensors.filter((key) => key !== "loss" && key !== "loss_after" && trace.tensors[key]);
  host.replaceChildren(...keys.map((key) => tensorFigure(trace, s, known, key, o)));
}
