// The tiny networks of the lessons (a few neurons): a node-link diagram with every number, and
// each step's equation with the numbers substituted.
//
// Values appear in the diagram only from the step that computes them on ("?" before), so the
// diagram fills in as the learner steps forward and backward through the training step.

import { columns, rows, short, texMatrix, texNum } from "./step-format.js";

const SVG = "http://www.w3.org/2000/svg";
const LIMIT = 6; // networks with at most this many neurons per layer are drawn as a diagram

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

function nodeName(layer, j, sizes) {
  if (layer === 0) return `x${j + 1}`;
  if (layer === sizes.length - 1) return `o${j + 1}`;
  return sizes.length > 3 ? `h${layer}.${j + 1}` : `h${j + 1}`;
}

/** What the diagram of step s needs: layout, each tensor's role and its values as text. */
function diagramContext(trace, s) {
  const { sizes, tensors } = trace;
  const step = trace.steps[s];
  const at = knownAt(trace);
  const batch = tensors.x.shape[0];
  const outputs = new Set(step.outputs);
  const inputs = new Set(step.tensors.filter((t) => !outputs.has(t)));
  const known = (key) => key in at && at[key] <= s;
  const colW = 250;
  const rowH = 150;
  const width = 120 + colW * (sizes.length - 1) + 230;
  const height = Math.max(220, Math.max(...sizes) * rowH + 40);
  return {
    trace,
    sizes,
    tensors,
    known,
    colW,
    width,
    height,
    role: (key) => (outputs.has(key) ? "out" : inputs.has(key) ? "in" : ""),
    // The value(s) of unit j of a (batch, n) tensor, or of element j of a vector.
    vals: (key, j, n) => {
      const t = tensors[key];
      if (!t) return "";
      if (!known(key)) return "?";
      if (t.shape.length === 1) return short(t.data[j]);
      const v = [];
      for (let r = 0; r < batch; r++) v.push(short(t.data[r * n + j]));
      return v.length === 1 ? v[0] : `[${v.join(", ")}]`;
    },
    pos: sizes.map((n, l) =>
      Array.from({ length: n }, (_, j) => ({ x: 70 + l * colW, y: height / 2 + (j - (n - 1) / 2) * rowH })),
    ),
  };
}

/** A text of several lines ([key, text] pairs), each line coloured by its tensor's role. */
function multiline(dc, x, y, lines, attrs = {}) {
  const text = svg("text", { x, y, ...attrs });
  lines.forEach(([key, t], n) => text.append(svg("tspan", { x, dy: n ? "1.2em" : "0", class: dc.role(key) }, t)));
  return text;
}

/** The edges with their weights (and, once known, their gradients and updated values). */
function drawEdges(root, dc) {
  const { sizes, pos, tensors, known, role } = dc;
  for (let l = 1; l < sizes.length; l++) {
    const i = l - 1;
    const keys = [`forward.${i}.W`, `backward.${i}.dW`, `update.${i}.W`];
    const cls = keys.map(role).find(Boolean) || "";
    for (let j = 0; j < sizes[l]; j++) {
      for (let p = 0; p < sizes[l - 1]; p++) {
        const a = pos[l - 1][p];
        const b = pos[l][j];
        const idx = j * sizes[l - 1] + p;
        root.append(svg("line", { x1: a.x + 24, y1: a.y, x2: b.x - 24, y2: b.y, class: `edge ${cls}` }));
        // Near the target where edges fan out from it, near the source where they converge.
        const t = sizes[l] < sizes[l - 1] ? 0.36 : 0.64;
        const lx = a.x + (b.x - a.x) * t;
        const ly = a.y + (b.y - a.y) * t - 6;
        const label = svg("text", { x: lx, y: ly, class: "edge-label", "text-anchor": "middle" });
        const lines = [[keys[0], `w=${known(keys[0]) ? short(tensors[keys[0]].data[idx]) : "?"}`]];
        if (known(keys[1])) lines.push([keys[1], `∂w=${short(tensors[keys[1]].data[idx])}`]);
        if (known(keys[2])) lines.push([keys[2], `w′=${short(tensors[keys[2]].data[idx])}`]);
        lines.forEach(([key, text], n) => {
          label.append(svg("tspan", { x: lx, dy: n ? "1.15em" : "0", class: role(key) }, text));
        });
        root.append(label);
      }
    }
  }
}

/** The numbers of neuron j of layer l ([key, text] pairs), those not yet computed left out. */
function neuronLines(dc, l, j) {
  const { sizes, known, vals } = dc;
  if (l === 0) return [["x", `x = ${vals("x", j, sizes[0])}`]];
  const i = l - 1;
  const lines = [
    [`forward.${i}.b`, `b = ${vals(`forward.${i}.b`, j, sizes[l])}`],
    [`forward.${i}.z`, `z = ${vals(`forward.${i}.z`, j, sizes[l])}`],
    [`forward.${i}.a`, `a = ${vals(`forward.${i}.a`, j, sizes[l])}`],
  ];
  for (const [key, text] of [
    [`backward.${i}.da`, "∂L/∂a"],
    [`backward.${i}.dz`, "∂L/∂z"],
    [`backward.${i}.db`, "∂L/∂b"],
    [`update.${i}.b`, "b′"],
  ]) {
    if (known(key)) lines.push([key, `${text} = ${vals(key, j, sizes[l])}`]);
  }
  return lines;
}

/** "out" if any line is computed at this step, else "in" if any is read, else "". */
function strongestRole(dc, lines) {
  const roles = lines.map(([key]) => dc.role(key));
  return roles.includes("out") ? "out" : roles.includes("in") ? "in" : "";
}

function drawNeurons(root, dc) {
  dc.sizes.forEach((n, l) => {
    for (let j = 0; j < n; j++) {
      const { x, y } = dc.pos[l][j];
      const lines = neuronLines(dc, l, j);
      root.append(svg("circle", { cx: x, cy: y, r: 24, class: `node ${strongestRole(dc, lines)}` }));
      root.append(svg("text", { x, y: y + 5, "text-anchor": "middle", class: "node-name" }, nodeName(l, j, dc.sizes)));
      root.append(multiline(dc, x - 30, y + 42, lines, { class: "node-values" }));
    }
  });
}

/** The loss, right of the output. */
function drawLoss(root, dc) {
  const { sizes, trace, known, vals, role } = dc;
  const nL = sizes.length;
  const lx = 70 + (nL - 1) * dc.colW + 110;
  const ly = dc.height / 2;
  const lines = [
    ["y", `y = ${vals("y", 0, sizes[nL - 1])}`],
    ["loss", `L = ${known("loss") ? short(trace.loss) : "?"}`],
  ];
  if (known("loss_after")) lines.push(["loss_after", `L after = ${short(trace.loss_after)}`]);
  for (const o of dc.pos[nL - 1]) {
    root.append(svg("line", { x1: o.x + 24, y1: o.y, x2: lx - 34, y2: ly, class: `edge loss-edge ${role("loss")}` }));
  }
  const boxRole = lines.map(([k]) => role(k)).includes("out") ? "out" : "";
  root.append(svg("rect", { x: lx - 34, y: ly - 22, width: 68, height: 44, rx: 8, class: `node ${boxRole}` }));
  root.append(svg("text", { x: lx, y: ly + 5, "text-anchor": "middle", class: "node-name" }, "loss"));
  root.append(multiline(dc, lx - 34, ly + 42, lines, { class: "node-values" }));
}

/** Draw the diagram for step `s` into `host` (replacing what was there). */
export function renderDiagram(host, trace, s) {
  const dc = diagramContext(trace, s);
  const root = svg("svg", {
    viewBox: `0 0 ${dc.width} ${dc.height}`,
    class: "step-diagram",
    role: "img",
    "aria-label": `Diagram of the ${dc.sizes.join("-")} network at this step; every number is also listed beside it.`,
  });
  root.style.minWidth = `${Math.min(dc.width, 760)}px`;
  drawEdges(root, dc);
  drawNeurons(root, dc);
  drawLoss(root, dc);
  host.replaceChildren(root);
}

// --- equations with the numbers ------------------------------------------------------------------

const SIGMA = { sigmoid: "\\sigma", tanh: "\\tanh", relu: "\\operatorname{ReLU}", identity: "\\operatorname{id}", softmax: "\\operatorname{softmax}" };

/** The step's equation with the current numbers substituted (LaTeX), or null. */
export function numericEquation(trace, s) {
  const step = trace.steps[s];
  const T = trace.tensors;
  const d = trace.dtype;
  const i = step.layer;
  const k = i === null || i === undefined ? null : i + 1;
  const N = T.x.shape[0];
  const K = trace.sizes[trace.sizes.length - 1];
  const col = (key) => texMatrix(columns(T[key]), d);
  const vec = (key) => texMatrix(rows(T[key])[0].map((v) => [v]), d);
  const mat = (key) => texMatrix(rows(T[key]), d);
  const matT = (key) => texMatrix(columns(T[key]), d); // W^T of a (n_out, n_in) matrix
  const num = (v) => texNum(v, "float64");
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
      const terms = a.map((v, n) => `(${texNum(v, d)} - ${texNum(y[n], d)})^2`).join(" + ");
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

