// The tiny networks' step logic: when each value becomes known, and equations with the numbers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { isTiny, knownAt, numericEquation } from "../../web/js/step-tiny.js";

const f = (...v) => Float64Array.from(v);
// One sigmoid neuron (2 inputs), MSE, as the neuron lesson: a minimal trace with four steps.
const TRACE = {
  sizes: [2, 1],
  activations: ["sigmoid"],
  loss_name: "mse",
  dtype: "float64",
  lr: 0.1,
  loss: 0.25,
  loss_after: 0.2,
  tensors: {
    x: { shape: [1, 2], data: f(2, 3) },
    y: { shape: [1, 1], data: f(1) },
    "forward.0.x": { shape: [1, 2], data: f(2, 3) },
    "forward.0.W": { shape: [1, 2], data: f(0, 1) },
    "forward.0.b": { shape: [1], data: f(0) },
    "forward.0.z": { shape: [1, 1], data: f(3) },
    "forward.0.a": { shape: [1, 1], data: f(0.5) },
    "backward.0.dW": { shape: [1, 2], data: f(-2, -3) },
    "backward.0.db": { shape: [1], data: f(-1) },
    "update.0.W": { shape: [1, 2], data: f(0.2, 1.3) },
    "update.0.b": { shape: [1], data: f(0.1) },
  },
  steps: [
    { kind: "z", layer: 0, outputs: ["forward.0.z"], tensors: [] },
    { kind: "a", layer: 0, outputs: ["forward.0.a"], tensors: [] },
    { kind: "loss", layer: null, outputs: ["loss"], tensors: [] },
    { kind: "update", layer: 0, outputs: ["update.0.W", "update.0.b"], tensors: [] },
  ],
};

test("inputs and starting weights are known from the start, the rest from the step computing them", () => {
  const at = knownAt(TRACE);
  assert.equal(at.x, -1);
  assert.equal(at["forward.0.W"], -1);
  assert.equal(at["forward.0.z"], 0);
  assert.equal(at.loss, 2);
  assert.equal(at["update.0.b"], 3);
  assert.equal("backward.0.dW" in at, false);
});

test("a few neurons and samples make a tiny network; the MNIST one is not", () => {
  assert.equal(isTiny(TRACE), true);
  assert.equal(isTiny({ sizes: [784, 10, 10], tensors: { x: { shape: [1, 784] } } }), false);
});

test("equations carry the trace's numbers", () => {
  assert.equal(
    numericEquation(TRACE, 0),
    "z^{[1]} = \\begin{bmatrix} 0 & 1 \\end{bmatrix} \\begin{bmatrix} 2 \\\\ 3 \\end{bmatrix} + \\begin{bmatrix} 0 \\end{bmatrix} = \\begin{bmatrix} 3 \\end{bmatrix}",
  );
  assert.match(numericEquation(TRACE, 1), /^a\^\{\[1\]\} = \\sigma/);
  assert.equal(numericEquation(TRACE, 2), "L = \\frac{1}{1 \\cdot 1}\\left((0.5 - 1)^2\\right) = 0.25");
  assert.match(numericEquation(TRACE, 3), /W\^\{\[1\]\} \\leftarrow .* - 0\.1 .*= \\begin\{bmatrix\} 0\.2 & 1\.3 \\end\{bmatrix\}/);
  assert.equal(numericEquation({ ...TRACE, steps: [{ kind: "other", layer: 0 }] }, 0), null);
});
