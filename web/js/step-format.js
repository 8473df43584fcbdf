// Shared helpers of the step-through: tensor names and shapes, number formatting, KaTeX.
//
// A trace (pycore.worker_api.App.trace_lesson / trace_digit) holds `tensors`, a map from names
// such as "forward.0.W" to {shape, data} with `data` a flat typed array in row-major order.
// Numbers are written by numfmt.js, the page's one number formatter.

import { exact, fmt, tex } from "./numfmt.js";

/** The exact float as text (Python's repr; float32 as NumPy prints it): numfmt.js's `exact`. */
export const full = exact;

/** A short form for diagrams and legends, 4 significant figures: numfmt.js's `fmt`. */
export function short(value, digits = 4) {
  return fmt(value, { digits });
}

export function shapeText(shape) {
  return shape && shape.length ? shape.join("×") : "scalar";
}

/** Human names of the tensors of a trace: {text, tex, about}. */
export function tensorName(key, nLayers) {
  if (key === "x") return { text: "x", tex: "x", about: "the input" };
  if (key === "y") return { text: "y", tex: "y", about: "the target" };
  if (key === "loss") return { text: "L", tex: "L", about: "the loss" };
  if (key === "loss_after") return { text: "L after", tex: "L_{\\text{after}}", about: "the loss after the update" };
  const [part, index, what] = key.split(".");
  const i = Number(index);
  const k = i + 1;
  if (part === "forward") {
    if (what === "x") {
      return i === 0
        ? { text: "x", tex: "x", about: "the input" }
        : { text: `a${i}`, tex: `a^{[${i}]}`, about: `the activations of layer ${i}, input of layer ${k}` };
    }
    const about = {
      W: `the weights of layer ${k}`,
      b: `the biases of layer ${k}`,
      z: `the weighted sums of layer ${k}`,
      a: k === nLayers ? "the output" : `the activations of layer ${k}`,
      mask: `the dropout mask of layer ${k}: 0 silenced, 1/(1 − p) kept`,
    }[what];
    if (what === "mask") return { text: `m${k}`, tex: `m^{[${k}]}`, about };
    return { text: `${what}${k}`, tex: `${what}^{[${k}]}`, about };
  }
  if (part === "backward") {
    const base = what.slice(1);
    return {
      text: `dL/d${base}${k}`,
      tex: `\\partial L/\\partial ${base}^{[${k}]}`,
      about: `the gradient of the loss with respect to ${base}${k}`,
    };
  }
  if (part === "update") {
    return { text: `${what}${k} new`, tex: `${what}^{[${k}]}_{\\text{new}}`, about: `${what}${k} after the update` };
  }
  return { text: key, tex: key, about: "" };
}

/** Values of a 2-D tensor (or a vector seen as one row) as rows of numbers. */
export function rows(tensor) {
  const shape = tensor.shape.length === 2 ? tensor.shape : [1, tensor.shape[0] || 1];
  const [r, c] = shape;
  const out = [];
  for (let i = 0; i < r; i++) out.push(Array.from(tensor.data.subarray(i * c, (i + 1) * c)));
  return out;
}

/** Per-sample column vectors side by side: the (n, N) matrix of a (N, n) batch tensor. */
export function columns(tensor) {
  const r = rows(tensor);
  if (tensor.shape.length < 2) return r[0].map((v) => [v]);
  return r[0].map((_, j) => r.map((row) => row[j]));
}

export function maxAbs(data) {
  let m = 0;
  for (let i = 0; i < data.length; i++) {
    const a = Math.abs(data[i]);
    if (a > m) m = a;
  }
  return m;
}

// --- KaTeX ------------------------------------------------------------------------------------
let katexLoading = null;

/** Load KaTeX once (its stylesheet and the UMD script, which sets window.katex). */
export function loadKatex() {
  if (window.katex) return Promise.resolve(window.katex);
  if (!katexLoading) {
    if (!document.querySelector('link[href$="katex.min.css"]')) {
      const link = document.createElement("link");
      link.rel = "stylesheet";
      link.href = "vendor/katex/katex.min.css";
      document.head.append(link);
    }
    katexLoading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = "vendor/katex/katex.min.js";
      script.onload = () => (window.katex ? resolve(window.katex) : reject(new Error("KaTeX did not load")));
      script.onerror = () => {
        katexLoading = null;
        reject(new Error("The equation typesetter (KaTeX) could not be loaded."));
      };
      document.head.append(script);
    });
  }
  return katexLoading;
}

/** Typeset `latex` into `node`; falls back to the LaTeX source as text if KaTeX is missing. */
export function typeset(node, latex, display = true) {
  if (window.katex) {
    window.katex.render(latex, node, { displayMode: display, throwOnError: false, output: "htmlAndMathml" });
  } else {
    node.textContent = latex;
  }
}

/** LaTeX for a number at full precision (negative numbers in braces so "- -1" cannot happen). */
export function texNum(value, dtype) {
  return tex(value, { full: true, dtype, notation: "fixed" });
}

/** A bmatrix of numbers given as rows, at full precision. */
export function texMatrix(matrix, dtype) {
  const body = matrix.map((row) => row.map((v) => texNum(v, dtype)).join(" & ")).join(" \\\\ ");
  return `\\begin{bmatrix} ${body} \\end{bmatrix}`;
}
