// A convolutional network at one step: the input image, the filters (one small image each), the
// feature maps before and after the activation, the pooled maps with the winning positions
// marked, the flattened vector, and their gradients and updates; the dense layers after the
// flattening are drawn by step-mnist.js. The cells behind the step's equation are outlined on
// every map. Clicking a value of the first convolution's maps (or of its pooled maps, or a pixel
// of the image it reads), or moving to one with the arrow keys, asks for the same step with that
// position's numbers in the equations (onPosition([c, i, j])).
//
// Pure logic: step-cnn-helpers.js (tested with node --test); this file builds the DOM.

import { el } from "./ui.js";
import { full, short, shapeText } from "./step-format.js";
import { renderMnist } from "./step-mnist.js";
import {
  CNN_KINDS, cnnTensorName, flatIndex, isCnn, mapsLayout, mapsPixels, marksFor, moveCursor, normalPosition,
  pickPosition, positionText, scaleOf, tensorRole,
} from "./step-cnn-helpers.js";

export { isCnn };

const KEY_PICK_MS = 350; // arrow keys pick the position once the cursor rests this long

function legend(max) {
  return el(
    "div",
    { class: "step-legend" },
    el("span", { text: `−${short(max)}` }),
    el("span", { class: "step-scale", "aria-hidden": "true" }),
    el("span", { text: `+${short(max)}` }),
    el("span", { class: "muted", text: "purple: negative, white: 0, orange: positive" }),
  );
}

function figure(f, body, extra = []) {
  return el(
    "figure",
    { class: "step-figure cnn-figure", "data-tensor": f.key },
    el("figcaption", {}, el("strong", { text: f.name.text }), ": ", el("span", { class: "shape", text: shapeText(f.t.shape) }), el("span", { class: "muted", text: ` (${f.name.about})` })),
    body,
    ...extra,
  );
}

/** Outline a box of the picture: dark inside, white outside, readable on every colour. */
function outline(g, r, dashed = false) {
  g.save();
  g.setLineDash(dashed ? [3, 2] : []);
  g.lineWidth = 2;
  g.strokeStyle = "#111";
  g.strokeRect(r.x + 1, r.y + 1, r.w - 2 < 1 ? 1 : r.w - 2, r.h - 2 < 1 ? 1 : r.h - 2);
  g.lineWidth = 1;
  g.strokeStyle = "#fff";
  g.strokeRect(r.x - 0.5, r.y - 0.5, r.w + 1, r.h + 1);
  g.restore();
}

/** The box of cells (i, j, h, w) of tile t, cut to the tile. */
function boxOf(layout, t, i, j, h, w, H, W) {
  const i0 = Math.max(0, i);
  const j0 = Math.max(0, j);
  const i1 = Math.min(H, i + h);
  const j1 = Math.min(W, j + w);
  if (i1 <= i0 || j1 <= j0) return null;
  const a = layout.cell(t, i0, j0);
  return { x: a.x, y: a.y, w: (j1 - j0) * layout.px, h: (i1 - i0) * layout.px };
}

/**
 * A picture of `count` tiles of H x W cells that can be hovered, clicked and walked with the
 * keys: arrows within a tile, Page Up/Down between tiles. paintBase(g) draws the values,
 * overlay(g) the marks; describe(t, i, j) is a cell in words; onPick(t, i, j), if given, picks it.
 */
function mapCanvas({ layout, count, H, W, paintBase, overlay, describe, label, detail, onPick, start }) {
  const canvas = el("canvas", { class: "step-map cnn-map", tabindex: "0", role: "img", "aria-label": label, width: layout.width, height: layout.height });
  canvas.style.maxWidth = `${layout.width}px`;
  Object.assign(canvas.dataset, { px: layout.px, gap: layout.gap, cols: layout.cols }); // where a cell is, for tests
  if (onPick) canvas.classList.add("pickable");
  const g = canvas.getContext("2d");
  let cursor = start || [0, 0, 0];
  let shown = false;
  let timer = null;
  const draw = () => {
    paintBase(g);
    overlay(g);
    if (shown) outline(g, layout.cell(cursor[0], cursor[1], cursor[2]), true);
  };
  const show = (cell) => {
    cursor = cell;
    shown = true;
    draw();
    detail.textContent = describe(...cell);
  };
  const cellAt = (event) => {
    const box = canvas.getBoundingClientRect();
    const hit = layout.at(((event.clientX - box.left) / box.width) * layout.width, ((event.clientY - box.top) / box.height) * layout.height);
    return hit && [hit.t, hit.i, hit.j];
  };
  canvas.addEventListener("pointermove", (event) => {
    const cell = cellAt(event);
    if (cell) show(cell);
  });
  canvas.addEventListener("click", (event) => {
    const cell = cellAt(event);
    if (!cell) return;
    show(cell);
    onPick?.(...cell);
  });
  canvas.addEventListener("focus", () => show(cursor));
  canvas.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && onPick) {
      event.preventDefault();
      clearTimeout(timer);
      onPick(...cursor);
      return;
    }
    const next = moveCursor(cursor, event.key, [count, H, W]);
    if (!next) return;
    event.preventDefault();
    event.stopPropagation(); // the arrows move within the map here, not between steps
    show(next);
    if (onPick) {
      clearTimeout(timer);
      timer = setTimeout(() => canvas.isConnected && onPick(...cursor), KEY_PICK_MS);
    }
  });
  draw();
  return canvas;
}

function putPixels(g, layout, pixels) {
  g.putImageData(new ImageData(pixels, layout.width, layout.height), 0, 0);
}

/** The winners of the pooling layer that reads the maps of layer `mapsOf`, when the step is about pooling. */
function winnersOver(f, mapsOf) {
  if (!["pool", "unpool"].includes(f.step.kind)) return null;
  const above = mapsOf === null ? 0 : mapsOf + 1;
  if (f.trace.layers[above]?.kind !== "maxpool2d") return null;
  return f.trace.tensors[`forward.${above}.winners`]?.data || null;
}

/** Feature maps (or the image, or a gradient of either): one tile per channel of sample 0. */
function mapsFigure(f) {
  const { trace, t, role, detail } = f;
  const [, C, H, W] = t.shape;
  const data = t.data.subarray(0, C * H * W);
  const grey = f.key === "forward.0.x";
  const layout = mapsLayout(C, H, W, grey ? { target: 224 } : { target: 130, max: 560 });
  const scale = scaleOf(data);
  const pixels = mapsPixels(data, C, H, W, layout, { scale, grey });
  const marks = marksFor(trace, f.step.position, role.layer);
  const winners = winnersOver(f, role.layer);
  const canPick = pickPosition(trace, role.layer, 0, 0, 0) !== null;
  const own = marks.find((m) => m.h === 1 && m.w === 1 && m.c !== null);
  const overlay = (g) => {
    if (winners) {
      g.fillStyle = "rgb(0 0 0 / 0.55)";
      const dot = Math.max(2, Math.round(layout.px / 3));
      for (let k = 0; k < C * H * W; k++) {
        if (!winners[k]) continue;
        const r = layout.cell(Math.floor(k / (H * W)), Math.floor(k / W) % H, k % W);
        g.fillRect(r.x + (r.w - dot) / 2, r.y + (r.h - dot) / 2, dot, dot);
      }
    }
    for (const m of marks) {
      for (let c = 0; c < C; c++) {
        if (m.c !== null && m.c !== c) continue;
        const box = boxOf(layout, c, m.i, m.j, m.h, m.w, H, W);
        if (box) outline(g, box);
      }
    }
  };
  const where = grey || role.layer === null ? (c, i, j) => `[${C > 1 ? `${c}, ` : ""}${i}, ${j}]` : (c, i, j) => `[${c}, ${i}, ${j}]`;
  const canvas = mapCanvas({
    layout, count: C, H, W, detail,
    paintBase: (g) => putPixels(g, layout, pixels),
    overlay,
    describe: (c, i, j) => `${f.name.text}${where(c, i, j)} = ${full(data[(c * H + i) * W + j], trace.dtype)}`,
    label: `${f.name.text}: ${C > 1 ? `${C} maps` : "an image"} of ${H} by ${W}.${canPick ? " Click a value, or focus and use the arrow keys (Page Up and Page Down change the map), to show its numbers in the equations." : " Focus and use the arrow keys to read a value."}`,
    onPick: canPick ? (c, i, j) => f.onPosition(pickPosition(trace, role.layer, c, i, j)) : null,
    start: own ? [own.c, own.i, own.j] : null,
  });
  canvas.dataset.maps = role.layer === null ? "input" : String(role.layer);
  canvas.dataset.shape = [C, H, W].join(",");
  canvas.classList.toggle("step-digit", grey);
  const notes = [grey ? null : legend(scale)];
  if (winners) notes.push(el("p", { class: "help", text: "Black dots: the winner of each pooling window, the only value that passes through it." }));
  const fig = figure(f, canvas, [...notes, detail]);
  if (C > 1) fig.classList.add("wide");
  return fig;
}

/** A convolution's filters (or their gradients, or their change): one k x k tile per filter and input channel. */
function filtersFigure(f) {
  const { trace, t, role, detail } = f;
  const [Cout, Cin, k] = t.shape;
  const data = t.data;
  // Many input channels: a row of small tiles per filter, close together, as wide as a map picture.
  const layout = Cin > 1
    ? mapsLayout(Cout * Cin, k, k, { target: 60, max: 560, cols: Cin, gap: Cin > 8 ? 2 : 8, maxPx: 24 })
    : mapsLayout(Cout, k, k, { target: 60, max: 280, gap: 8, maxPx: 24 });
  // Before and after an update share one scale, so that a change shows as a change of colour.
  const pair = ["W"].includes(role.what) ? [trace.tensors[`forward.${role.index}.W`], trace.tensors[`update.${role.index}.W`]] : [t];
  const scale = Math.max(...pair.filter(Boolean).map((x) => scaleOf(x.data)));
  const pixels = mapsPixels(data, Cout * Cin, k, k, layout, { scale });
  const p = normalPosition(trace, f.step.position);
  const chosen = p && p.layer === role.index ? p.c : null;
  const canvas = mapCanvas({
    layout, count: Cout * Cin, H: k, W: k, detail,
    paintBase: (g) => putPixels(g, layout, pixels),
    overlay: (g) => {
      if (chosen === null) return;
      for (let d = 0; d < Cin; d++) outline(g, boxOf(layout, chosen * Cin + d, 0, 0, k, k, k, k));
    },
    describe: (tile, u, v) => {
      const c = Math.floor(tile / Cin);
      const d = tile % Cin;
      const at = Cin > 1 ? `[${c}, ${d}, ${u}, ${v}]` : `[${c}, ${u}, ${v}]`;
      return `${f.name.text}${at} = ${full(data[((c * Cin + d) * k + u) * k + v], trace.dtype)} (filter ${c}${Cin > 1 ? `, input channel ${d}` : ""})`;
    },
    label: `${f.name.text}: ${Cout} filters of ${k} by ${k}${Cin > 1 ? `, ${Cin} input channels each` : ""}. Focus and use the arrow keys to read a weight.`,
    start: chosen === null ? null : [chosen * Cin, 0, 0],
  });
  canvas.dataset.filters = String(role.index);
  canvas.classList.add("cnn-filters");
  const note = chosen === null ? null : el("p", { class: "help", text: `Outlined: filter ${chosen}, the one in the equation.` });
  return figure(f, canvas, [legend(scale), note, detail]);
}

/** The flattened maps: one row per map, in the order the flatten layer lays them out. */
function flatFigure(f, shape) {
  const { trace, t, detail } = f;
  const [, C, H, W] = shape;
  const n = C * H * W;
  const data = t.data.subarray(0, n);
  const layout = mapsLayout(1, C, H * W, { target: 520, max: 900, minPx: 2, maxPx: 6 });
  const scale = scaleOf(data);
  const pixels = mapsPixels(data, 1, C, H * W, layout, { scale });
  const p = normalPosition(trace, f.step.position);
  const index = p && p.layer !== null ? flatIndex(p.c, p.i, p.j, H, W) : null;
  const canvas = mapCanvas({
    layout, count: 1, H: C, W: H * W, detail,
    paintBase: (g) => putPixels(g, layout, pixels),
    overlay: (g) => {
      if (index !== null) outline(g, layout.cell(0, Math.floor(index / (H * W)), index % (H * W)));
    },
    describe: (_, c, r) => `${f.name.text}[${c * H * W + r}] = ${full(data[c * H * W + r], trace.dtype)} (map ${c}, row ${Math.floor(r / W)}, column ${r % W})`,
    label: `${f.name.text}: ${n} values, drawn as ${C} rows of ${H * W}, one row per map. Focus and use the arrow keys to read a value.`,
  });
  canvas.classList.add("cnn-flat");
  const note = el("p", { class: "help", text: `Each row is one map's ${H}×${W} values, row after row${index !== null ? `; outlined: value ${index}` : ""}.` });
  const fig = figure(f, canvas, [legend(scale), note, detail]);
  fig.classList.add("wide");
  return fig;
}

/** A value per filter (a bias, its gradient): signed bars. */
function barsFigure(f) {
  const { trace, t } = f;
  const values = Array.from(t.data);
  const max = scaleOf(t.data);
  const p = normalPosition(trace, f.step.position);
  const chosen = p && p.layer === f.role.index ? p.c : null;
  const list = el("ol", { class: "step-bars signed", start: "0" });
  values.forEach((v, j) => {
    const fill = el("span", { class: `fill ${v < 0 ? "neg" : "pos"}` });
    fill.style.width = `${(Math.abs(v) / max) * 50}%`;
    fill.style.left = v < 0 ? `${50 - (Math.abs(v) / max) * 50}%` : "50%";
    list.append(
      el("li", { class: j === chosen ? "target" : "" },
        el("span", { class: "unit", text: String(j) }),
        el("span", { class: "track" }, fill),
        el("span", { class: "value", text: full(v, trace.dtype) }),
        j === chosen ? el("span", { class: "tag", text: "in the equation" }) : null),
    );
  });
  return figure(f, list);
}

function tensorFigure(f) {
  const { trace, t, role } = f;
  if (role.role === "maps") return mapsFigure(f);
  if (role.role === "filters") return filtersFigure(f);
  const flatten = trace.layers[role.index]?.kind === "flatten";
  if (role.role === "vector" && flatten) return flatFigure(f, trace.tensors[`forward.${role.index}.x`].shape);
  if (t.shape.length === 1) return barsFigure(f);
  return null; // the winners: drawn as dots on the maps they pick from
}

/** The focused map's tensor, to focus its new drawing after a render (a keyboard pick re-renders). */
function focusedKey(host) {
  const active = document.activeElement;
  return active instanceof HTMLCanvasElement && host.contains(active) ? active.closest("[data-tensor]")?.dataset.tensor : null;
}

/**
 * Render the pictures of step s of a CNN trace into host (the arguments of renderMnist);
 * opts.onPosition([c, i, j]) asks for the step again with that output of the first convolution
 * in its equations. A dense layer's step goes to renderMnist.
 */
export function renderCnn(host, trace, s, known, opts = {}) {
  const onPosition = opts.onPosition || (() => {});
  const step = trace.steps[s];
  if (!CNN_KINDS.has(step.kind)) {
    host.cnnRender = null;
    host.dataset.pictures = "done";
    renderMnist(host, trace, s, known, opts);
    return;
  }
  const refocus = focusedKey(host);
  const keys = step.tensors.filter((key) => trace.tensors[key] && key !== "loss" && key !== "loss_after");
  const build = (key) => {
    const t = trace.tensors[key];
    const f = {
      trace, step, key, t, onPosition, role: tensorRole(key, t.shape), name: cnnTensorName(key, trace),
      detail: el("p", { class: "step-detail", "aria-live": "polite" }),
    };
    return tensorFigure(f);
  };
  const where = positionText(trace, step.position);
  const p = step.position;
  const line = where
    ? el("p", { class: "cnn-position", "data-testid": "step-position", "data-c": String(p.c), "data-i": String(p.i), "data-j": String(p.j), "data-layer": String(p.layer) }, where)
    : null;
  // The first picture now, each other one in a task of its own: a big network's step has several
  // large pictures, and painting them all at once would hold the page for over 100 ms.
  const token = {};
  host.cnnRender = token;
  host.dataset.pictures = "pending";
  const first = [line, keys.length ? build(keys[0]) : null].filter(Boolean);
  host.replaceChildren(...first);
  const finish = () => {
    if (refocus) host.querySelector(`[data-tensor="${refocus}"] canvas`)?.focus();
    host.dataset.pictures = "done";
  };
  const rest = keys.slice(1);
  const next = () => {
    // Another step (or another network's) was rendered here meanwhile.
    if (host.cnnRender !== token || (first.length && !first[0].isConnected)) return;
    if (!rest.length) return finish();
    const figure = build(rest.shift());
    if (figure) host.append(figure);
    setTimeout(next, 0);
  };
  if (rest.length) setTimeout(next, 0);
  else finish();
}
