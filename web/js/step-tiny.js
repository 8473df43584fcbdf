// The tiny networks of the lessons (a few neurons): a node-link diagram with every number, and
// each step's equation with the numbers substituted.
//
// Values appear in the diagram only from the step that computes them on ("?" before), so the
// diagram fills in as the learner steps forward and backward through the training step.

import { el } from "./ui.js";
import { columns, rows } from "./step-format.js";
import { exact, fmt, fmtAll, numberGroup } from "./numfmt.js";
import { METRICS, layoutDiagram } from "./step-layout.js";

const SVG = "http://www.w3.org/2000/svg";
const LIMIT = 6; // networks with at most this many neurons per layer are drawn as a diagram
const SUB = "₀₁₂₃₄₅₆₇₈₉";

export function isTiny(trace) {
  return Math.max(...trace.sizes) <= LIMIT && trace.tensors.x.shape[0] <= 8;
}

function svg(tag, attrs = {}, text = null) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== null) node.textContent = text;
  return node;
}

/** Which step first computes each tensor (inputs and starting parameters: -1). */
export function knownAt(trace) {
  const at = { x: -1, y: -1 };
  const n = trace.sizes.length - 1;
  for (let i = 0; i < n; i++) {
    at[`forward.${i}.W`] = -1;
    at[`forward.${i}.b`] = -1;
  }
  trace.steps.forEach((step, s) => {
    for (const name of step.outputs) if (!(name in at)) at[name] = s;
  });
  at["forward.0.x"] = -1;
  for (let i = 1; i < n; i++) at[`forward.${i}.x`] = at[`forward.${i - 1}.a`];
  return at;
}

export function nodeName(layer, j, sizes) {
  if (layer === 0) return `x${j + 1}`;
  if (layer === sizes.length - 1) return `o${j + 1}`;
  return sizes.length > 3 ? `h${layer}.${j + 1}` : `h${j + 1}`;
}

const sub = (n) => String(n).split("").map((d) => SUB[Number(d)]).join("");

/**
 * The lines of every card of step s: layers of [{name, role, lines: [{key, text, exact}]}], the
 * loss card last. A value not computed yet reads "?"; gradients and updates appear once known.
 * `full` writes every number exactly.
 */
export function diagramCards(trace, s, full = false) {
  const { sizes, tensors } = trace;
  const step = trace.steps[s];
  const at = knownAt(trace);
  const batch = tensors.x.shape[0];
  const outputs = new Set(step.outputs);
  const inputs = new Set(step.tensors.filter((t) => !outputs.has(t)));
  const known = (key) => key in at && at[key] <= s;
  const role = (key) => (outputs.has(key) ? "out" : inputs.has(key) ? "in" : "");
  const d = trace.dtype;
  // The values of unit j of a (batch, n) tensor, or element `j` of a flat one, as [short, exact].
  const unit = (key, j, n) => {
    const t = tensors[key];
    const flat = n === 0 || t.shape.length === 1;
    const vs = flat ? [t.data[j]] : Array.from({ length: batch }, (_, r) => t.data[r * n + j]);
    const short = fmtAll(vs, { full, dtype: d });
    const ex = vs.map((v) => exact(v, d));
    return vs.length === 1 ? [short[0], ex[0]] : [`[${short.join(", ")}]`, `[${ex.join(", ")}]`];
  };
  const line = (key, label, j, n, always = false) => {
    if (!tensors[key] || (!always && !known(key))) return null;
    if (!known(key)) return { key, text: `${label} = ?`, exact: `${label} is not computed yet`, role: role(key) };
    const [short, ex] = unit(key, j, n);
    return { key, text: `${label} = ${short}`, exact: `${label} = ${ex}`, role: role(key) };
  };
  const layers = sizes.map((n, l) => {
    const cards = [];
    for (let j = 0; j < n; j++) {
      const lines = [];
      if (l === 0) lines.push(line("x", "x", j, n, true));
      else {
        const i = l - 1;
        const nIn = sizes[l - 1];
        const weights = (key, label) => Array.from({ length: nIn }, (_, p) => line(key, `${label}${sub(p + 1)}`, j * nIn + p, 0));
        const fw = (what, always) => line(`forward.${i}.${what}`, what, j, n, always);
        lines.push(...weights(`forward.${i}.W`, "w"), line(`forward.${i}.b`, "b", j, 0, true), fw("z", true), fw("a", true));
        lines.push(line(`backward.${i}.da`, "∂L/∂a", j, n), line(`backward.${i}.dz`, "∂L/∂z", j, n));
        lines.push(...weights(`backward.${i}.dW`, "∂L/∂w"), line(`backward.${i}.db`, "∂L/∂b", j, 0));
        lines.push(...weights(`update.${i}.W`, "w′"), line(`update.${i}.b`, "b′", j, 0));
      }
      const kept = lines.filter(Boolean);
      const roles = kept.map((x) => x.role);
      cards.push({ name: nodeName(l, j, sizes), role: roles.includes("out") ? "out" : roles.includes("in") ? "in" : "", lines: kept });
    }
    return cards;
  });
  const nOut = sizes[sizes.length - 1];
  const lossLines = [];
  for (let j = 0; j < nOut; j++) lossLines.push(line("y", nOut > 1 ? `y${sub(j + 1)}` : "y", j, nOut, true));
  const scalar = (key, label) => {
    if (!known(key)) return key === "loss" ? { key, text: `${label} = ?`, exact: `${label} is not computed yet`, role: role(key) } : null;
    return { key, text: `${label} = ${fmt(trace[key], { full })}`, exact: `${label} = ${exact(trace[key])}`, role: role(key) };
  };
  lossLines.push(scalar("loss", "L"), scalar("loss_after", "L after"));
  const kept = lossLines.filter(Boolean);
  const lossRole = kept.some((x) => x.role === "out") ? "out" : "";
  layers.push([{ name: "loss", role: lossRole, lines: kept, headW: 68 }]);
  // Edges take the role of the weights they carry at this step.
  const edgeRoles = sizes.slice(1).map((_, i) => [`forward.${i}.W`, `backward.${i}.dW`, `update.${i}.W`].map(role).find(Boolean) || "");
  return { layers, edgeRoles, lossRole: role("loss") };
}

let measurer = null;

/** A function giving the width in px of a text in the diagram's font. */
function measureWith(host) {
  const family = getComputedStyle(host).getPropertyValue("--mono").trim() || "monospace";
  if (!measurer) measurer = document.createElement("canvas").getContext("2d");
  const font = `${METRICS.font}px ${family}`;
  const cache = new Map();
  return (text) => {
    if (!cache.has(text)) {
      measurer.font = font;
      cache.set(text, Math.ceil(measurer.measureText(text).width) + 1);
    }
    return cache.get(text);
  };
}

function drawEdges(root, layout, dc) {
  const R = METRICS.radius;
  const wideMode = layout.mode === "wide";
  const { cards } = layout;
  for (let l = 1; l < cards.length; l++) {
    const cls = l < cards.length - 1 ? dc.edgeRoles[l - 1] : dc.lossRole;
    for (const b of cards[l]) {
      for (const a of cards[l - 1]) {
        const [x1, y1, x2, y2] = wideMode
          ? [a.cx + a.headW / 2, a.cy, b.cx - b.headW / 2, b.cy]
          : [a.cx, a.cy + R, b.cx, b.cy - R];
        root.append(svg("line", { x1, y1, x2, y2, class: `edge ${cls}` }));
      }
    }
  }
}

/** One card: highlight box, head (circle or loss box) with its name, and its lines of values. */
function drawCard(card, place, onFocus) {
  const R = METRICS.radius;
  const exactText = `${card.name}: ${card.lines.map((x) => x.exact).join("; ")}`;
  const g = svg("g", { class: `card ${card.role}`, tabindex: "0", role: "img", "aria-label": exactText });
  g.append(svg("rect", { x: place.x - 5, y: place.y - 5, width: place.w + 10, height: place.h + 10, rx: 8, class: "card-box" }));
  if (card.name === "loss") {
    g.append(svg("rect", { x: place.cx - place.headW / 2, y: place.cy - R, width: place.headW, height: 2 * R, rx: 8, class: `node ${card.role}` }));
  } else {
    g.append(svg("circle", { cx: place.cx, cy: place.cy, r: R, class: `node ${card.role}` }));
  }
  g.append(svg("text", { x: place.cx, y: place.cy + 5, "text-anchor": "middle", class: "node-name" }, card.name));
  card.lines.forEach((line, n) => {
    const at = place.lines[n];
    const text = svg("text", { x: at.x, y: at.y, class: `node-values ${line.role}` }, line.text);
    text.append(svg("title", {}, line.exact));
    g.append(text);
  });
  g.append(svg("title", {}, exactText));
  for (const type of ["focus", "pointerenter"]) g.addEventListener(type, () => onFocus(exactText));
  return g;
}

/**
 * Draw the diagram of step `s` into `host` (replacing what was there), laid out for the host's
 * width. `full`: exact numbers. A line under it shows the exact values of the card last hovered
 * or focused.
 */
export function renderDiagram(host, trace, s, full = false) {
  const dc = diagramCards(trace, s, full);
  const measure = measureWith(host);
  const available = host.clientWidth || 760;
  const layout = layoutDiagram(dc.layers.map((layer) => layer.map((c) => ({ lines: c.lines.map((x) => x.text), headW: c.headW }))), measure, available);
  const root = svg("svg", {
    viewBox: `0 0 ${layout.width} ${layout.height}`,
    width: layout.width,
    height: layout.height,
    class: `step-diagram ${layout.mode}`,
    role: "group",
    "aria-label": `Diagram of the ${trace.sizes.join("-")} network at this step. Focus a neuron to read its exact numbers; every number is also listed under The numbers.`,
    "data-mode": layout.mode,
  });
  const detail = el("p", { class: "step-detail diagram-detail", "aria-live": "polite", text: "Hover or focus a neuron for its exact values." });
  drawEdges(root, layout, dc);
  dc.layers.forEach((layer, l) => layer.forEach((card, j) => root.append(drawCard(card, layout.cards[l][j], (t) => (detail.textContent = `Exact: ${t}`)))));
  host.replaceChildren(root, detail);
  host.dataset.width = String(available);
}

// --- equations with the numbers ------------------------------------------------------------------

const SIGMA = { sigmoid: "\\sigma", tanh: "\\tanh", relu: "\\operatorname{ReLU}", identity: "\\operatorname{id}", softmax: "\\operatorname{softmax}" };

/** A bmatrix of numbers given as rows, each written by `num`. */
function texMatrix(matrix, num) {
  const body = matrix.map((row) => row.map(num).join(" & ")).join(" \\\\ ");
  return `\\begin{bmatrix} ${body} \\end{bmatrix}`;
}

/**
 * The step's equation with the current numbers substituted (LaTeX), or null. Every number of
 * the equation is written in one notation (numfmt.js), at 4 significant figures or, with
 * `full`, exactly.
 */
export function numericEquation(trace, s, full = false) {
  const group = numberGroup({ full, dtype: trace.dtype });
  equationWith(trace, s, group.collect);
  group.seal();
  return equationWith(trace, s, group.tex);
}

function equationWith(trace, s, num) {
  const step = trace.steps[s];
  const T = trace.tensors;
  const i = step.layer;
  const k = i === null || i === undefined ? null : i + 1;
  const N = T.x.shape[0];
  const K = trace.sizes[trace.sizes.length - 1];
  const col = (key) => texMatrix(columns(T[key]), num);
  const vec = (key) => texMatrix(rows(T[key])[0].map((v) => [v]), num);
  const mat = (key) => texMatrix(rows(T[key]), num);
  const matT = (key) => texMatrix(columns(T[key]), num); // W^T of a (n_out, n_in) matrix
  const act = trace.activations[i ?? 0];
  switch (step.kind) {
    case "z":
      return `z^{[${k}]} = ${mat(`forward.${i}.W`)} ${col(`forward.${i}.x`)} + ${vec(`forward.${i}.b`)} = ${col(`forward.${i}.z`)}`;
    case "a":
      return `a^{[${k}]} = ${SIGMA[act] || act}\\left(${col(`forward.${i}.z`)}\\right) = ${col(`forward.${i}.a`)}`;
    case "loss":
    case "after": {
      const key = `forward.${trace.sizes.length - 2}.a`;
      const value = step.kind === "loss" ? trace.loss : trace.loss_after;
      if (trace.loss_name !== "mse" || step.kind === "after") {
        return step.kind === "after"
          ? `L_{\\text{after}} = ${num(trace.loss_after)} \\quad (\\text{before: } ${num(trace.loss)})`
          : `L = ${num(value)}`;
      }
      const a = rows(T[key]).flat();
      const y = rows(T.y).flat();
      const terms = a.map((v, n) => `(${num(v)} - ${num(y[n])})^2`).join(" + ");
      return `L = \\frac{1}{${N} \\cdot ${K}}\\left(${terms}\\right) = ${num(value)}`;
    }
    case "da_loss":
      if (trace.loss_name === "mse") {
        return `\\frac{\\partial L}{\\partial a^{[${k}]}} = \\frac{2\\left(${col(`forward.${i}.a`)} - ${col("y")}\\right)}{${N} \\cdot ${K}} = ${col(`backward.${i}.da`)}`;
      }
      return `\\frac{\\partial L}{\\partial a^{[${k}]}} = ${col(`backward.${i}.da`)}`;
    case "dz": {
      const left = `\\delta^{[${k}]} = `;
      if (act === "sigmoid") {
        const a = col(`forward.${i}.a`);
        return `${left}${a} \\odot \\left(1 - ${a}\\right) \\odot ${col(`backward.${i}.da`)} = ${col(`backward.${i}.dz`)}`;
      }
      if (act === "identity") return `${left}${col(`backward.${i}.da`)} = ${col(`backward.${i}.dz`)}`;
      return `${left}${col(`backward.${i}.dz`)}`;
    }
    case "da":
      return `\\frac{\\partial L}{\\partial a^{[${k}]}} = ${matT(`forward.${k}.W`)} ${col(`backward.${k}.dz`)} = ${col(`backward.${i}.da`)}`;
    case "dW":
      return (
        `\\frac{\\partial L}{\\partial W^{[${k}]}} = ${col(`backward.${i}.dz`)} ${mat(`forward.${i}.x`)} = ${mat(`backward.${i}.dW`)},\\quad ` +
        `\\frac{\\partial L}{\\partial b^{[${k}]}} = ${vec(`backward.${i}.db`)}`
      );
    case "update": {
      const eta = num(trace.lr);
      return (
        `W^{[${k}]} \\leftarrow ${mat(`forward.${i}.W`)} - ${eta} ${mat(`backward.${i}.dW`)} = ${mat(`update.${i}.W`)},\\quad ` +
        `b^{[${k}]} \\leftarrow ${vec(`forward.${i}.b`)} - ${eta} ${vec(`backward.${i}.db`)} = ${vec(`update.${i}.b`)}`
      );
    }
    default:
      return null;
  }
}
