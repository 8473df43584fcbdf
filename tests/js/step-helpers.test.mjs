// The step-through's pure helpers: URLs, form values, worker requests and texts.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  FALLBACK_LR, capitalised, formLoss, clampStep, defaultLoss, defaultLr, keyAction, keyNumbers, lossText, moveTarget, parseArgs,
  playDelay, readIndex, readLr, sourceCaption, sourceSegments, sourceValue, statusText, stepHash, tensorValue,
  traceKey, traceRequest, traceableLessons, visibleFields,
} from "../../web/js/step-helpers.js";

const LESSONS = [
  { name: "neuron", title: "A single neuron", samples: [], sample_kind: null, traceable: true },
  { name: "weight-height", title: "Backprop", samples: ["Alice", "Bob", "Charlie", "Diana"], sample_kind: "person", traceable: true },
  { name: "mnist-784-10-10", title: "Digits", samples: [], sample_kind: "digit", traceable: true },
];

test("only traceable lessons are offered", () => {
  const catalog = { lessons: [...LESSONS, { name: "story", traceable: false }] };
  assert.deepEqual(traceableLessons(catalog).map((l) => l.name), ["neuron", "weight-height", "mnist-784-10-10"]);
  assert.deepEqual(traceableLessons(undefined), []);
});

test("a lesson URL with a sample and a step parses to a source and a 0-based step", () => {
  assert.deepEqual(parseArgs(["lesson", "weight-height", "2", "step", "5"], LESSONS), {
    source: { kind: "lesson", name: "weight-height", sample: 2 },
    step: 4,
  });
  assert.deepEqual(parseArgs(["lesson", "neuron"], LESSONS), { source: { kind: "lesson", name: "neuron", sample: 0 }, step: null });
});

test("unknown lessons, bad numbers and empty URLs fall back safely", () => {
  assert.deepEqual(parseArgs(["lesson", "nope"], LESSONS), { source: null, step: null });
  assert.deepEqual(parseArgs([], LESSONS), { source: null, step: null });
  assert.deepEqual(parseArgs(["digit", "-3", "step", "0"], LESSONS), { source: { kind: "digit", index: 0 }, step: 0 });
  assert.deepEqual(parseArgs(["digit", "random"], LESSONS).source, { kind: "digit", index: "random" });
  assert.deepEqual(parseArgs(["lesson", "weight-height", "x"], LESSONS).source.sample, 0);
  assert.deepEqual(parseArgs(["drawing", "step", "abc"], LESSONS), { source: { kind: "drawing" }, step: null });
});

test("stepHash is the inverse of parseArgs, with a sample only for lessons that have samples", () => {
  const sources = [
    { kind: "lesson", name: "neuron", sample: 0 },
    { kind: "lesson", name: "weight-height", sample: 3 },
    { kind: "lesson", name: "mnist-784-10-10", sample: 17 },
    { kind: "digit", index: 42 },
    { kind: "drawing" },
  ];
  for (const source of sources) {
    const hash = stepHash(source, 6, LESSONS);
    const args = hash.replace("#/step/", "").split("/").map(decodeURIComponent);
    assert.deepEqual(parseArgs(args, LESSONS), { source, step: 6 }, hash);
  }
  assert.equal(stepHash({ kind: "lesson", name: "neuron", sample: 0 }, 0, LESSONS), "#/step/lesson/neuron/step/1");
  assert.deepEqual(sourceSegments({ kind: "lesson", name: "weight-height", sample: 1 }, LESSONS), ["lesson", "weight-height", "1"]);
});

test("the form shows the person, digit number, label and loss fields that fit the source", () => {
  assert.equal(sourceValue({ kind: "lesson", name: "neuron" }), "lesson:neuron");
  assert.equal(sourceValue({ kind: "digit", index: 1 }), "digit");
  assert.deepEqual(visibleFields("lesson:weight-height", LESSONS), { person: true, index: false, label: false, loss: false });
  assert.deepEqual(visibleFields("lesson:mnist-784-10-10", LESSONS), { person: false, index: true, label: false, loss: false });
  assert.deepEqual(visibleFields("digit", LESSONS), { person: false, index: true, label: false, loss: true });
  assert.deepEqual(visibleFields("drawing", LESSONS), { person: false, index: false, label: true, loss: true });
});

test("the learning rate must be a positive number up to 100", () => {
  assert.deepEqual(readLr(" 0.05 "), { value: 0.05 });
  for (const bad of ["", "fast", "0", "-1", "101", "NaN", "Infinity"]) assert.match(readLr(bad).error, /positive number/, bad);
  assert.deepEqual(readIndex("12"), { value: 12 });
  assert.match(readIndex("1.5").error, /0 to 1999/);
  assert.match(readIndex("-1", 500).error, /0 to 499/);
});

test("the learning rate comes from the Train settings, else the form's first recipe, else the table", () => {
  const catalog = {
    recipes: [{ name: "small", settings: { lr: 0.1 } }, { name: "default", settings: { lr: 0.002 } }],
    settings: [{ name: "lr", default: 0.001 }],
  };
  assert.equal(defaultLr({ lr: "0.3" }, catalog), 0.3);
  assert.equal(defaultLr({ lr: "fast" }, catalog), 0.1);
  assert.equal(defaultLr({}, { recipes: [{ name: "odd", settings: {} }], settings: [{ name: "lr", default: 0.001 }] }), 0.001);
  assert.equal(defaultLr(undefined, { settings: [{ name: "lr", default: 0.001 }] }), 0.001);
  assert.equal(defaultLr(null, null), FALLBACK_LR);
  assert.equal(defaultLoss({ loss: "mse" }), "mse");
  assert.equal(defaultLoss(undefined), "cross_entropy");
});

test("each source asks the worker for its own trace", () => {
  const choice = { lr: 0.1, loss: "mse", label: "" };
  assert.deepEqual(traceRequest({ kind: "lesson", name: "neuron", sample: 0 }, choice), ["trace_lesson", { name: "neuron", sample: 0, lr: 0.1 }]);
  assert.deepEqual(traceRequest({ kind: "digit", index: 4 }, choice), ["trace_digit", { lr: 0.1, loss: "mse", index: 4 }]);
  const drawing = { pixels: new Uint8ClampedArray(4), width: 2, height: 2 };
  const [, params] = traceRequest({ kind: "drawing" }, { ...choice, label: "7" }, drawing);
  assert.equal(params.label, 7);
  assert.equal(params.width, 2);
  assert.equal("label" in traceRequest({ kind: "drawing" }, choice, drawing)[1], false);
  // The drawing's label is part of its key; other sources ignore it.
  assert.notEqual(traceKey({ kind: "drawing" }, { ...choice, label: "1" }), traceKey({ kind: "drawing" }, choice));
  assert.equal(traceKey({ kind: "digit", index: 1 }, { ...choice, label: "1" }), traceKey({ kind: "digit", index: 1 }, choice));
});

const TRACE = {
  sample: "x = [2, 3], target 1",
  sizes: [2, 1],
  activations: ["sigmoid"],
  loss_name: "mse",
  lr: 0.1,
  dtype: "float64",
  loss: 0.25,
  loss_after: 0.2,
  tensors: {
    x: { shape: [1, 2], data: Float64Array.from([2, 3]) },
    "forward.0.a": { shape: [1, 1], data: Float64Array.from([0.5]) },
    big: { shape: [1, 20], data: new Float64Array(20) },
  },
};

test("the status line names the sample, the network and the loss in running text", () => {
  assert.equal(lossText("mse", { mse: "Mean squared error" }), "mean squared error");
  assert.equal(lossText("hinge", {}), "hinge");
  assert.equal(capitalised("cross-entropy"), "Cross-entropy");
  assert.equal(statusText(TRACE, { mse: "Mean squared error" }), "x = [2, 3], target 1 · network 2-1 (sigmoid) · loss: mean squared error · η = 0.1 · float64");
});

test("tensor values are written short and exact, or counted when they are too many", () => {
  assert.deepEqual(tensorValue(TRACE, "x", true), { value: "[[2, 3]]", exact: "[[2, 3]]", shape: [1, 2] });
  assert.deepEqual(tensorValue(TRACE, "loss", true), { value: "0.25", exact: "0.25", shape: [] });
  const odd = { ...TRACE, loss: 0.41000000000000003, tensors: { ...TRACE.tensors, v: { shape: [2], data: Float64Array.from([-0, 1e-7 / 3]) } } };
  assert.deepEqual(tensorValue(odd, "loss", true), { value: "0.41", exact: "0.41000000000000003", shape: [] });
  assert.equal(tensorValue(odd, "loss", true, true).value, "0.41000000000000003");
  // One notation per tensor, and no -0.
  assert.equal(tensorValue(odd, "v", true).value, "[0, 3.333e-8]");
  assert.equal(tensorValue(TRACE, "big", false).value, "20 values (shown in the picture)");
  assert.equal(tensorValue(TRACE, "big", true).value.split(",").length, 20);
  assert.equal(keyNumbers(TRACE, { outputs: ["forward.0.a", "loss"] }), "a1 = 0.5; L = 0.25");
});

test("the source caption names the lines and the highlighted ones once", () => {
  const c = sourceCaption({ file: "pycore/layers.py", start: 10, lines: ["a", "b", "c"], highlight: [11, 11] });
  assert.equal(c.end, 12);
  assert.equal(c.text, " lines 10–12; the highlighted line (11) did this step.");
  assert.equal(c.label, "Source of pycore/layers.py, lines 10 to 12");
});

test("keys and moves of the player", () => {
  assert.equal(keyAction("ArrowRight", false), "next");
  assert.equal(keyAction("End", true), "last");
  assert.equal(keyAction(" ", false), "toggle");
  assert.equal(keyAction(" ", true), null); // Space presses the focused button
  assert.equal(keyAction("a", false), null);
  assert.equal(moveTarget("prev", 3), 2);
  assert.equal(moveTarget("last", 3), Infinity);
  assert.equal(clampStep(Infinity, 14), 13);
  assert.equal(clampStep(-1, 14), 0);
  assert.equal(playDelay("500", false), 500);
  assert.equal(playDelay("500", true), 750);
});

test("a lesson step replayed from training has its epoch in the URL, and digits of My digits their id", () => {
  const replay = { kind: "lesson", name: "neuron", sample: 0, epoch: 12 };
  const hash = stepHash(replay, 2, LESSONS);
  assert.equal(hash, "#/step/lesson/neuron/0/epoch/12/step/3");
  const args = hash.replace("#/step/", "").split("/");
  assert.deepEqual(parseArgs(args, LESSONS), { source: replay, step: 2 });
  assert.deepEqual(traceRequest(replay, { lr: 5 }), ["trace_lesson", { name: "neuron", sample: 0, epoch: 12 }]);
  assert.deepEqual(parseArgs(["mine", "7"], LESSONS), { source: { kind: "mine", id: 7 }, step: null });
  assert.equal(stepHash({ kind: "mine", id: 7 }, 0, LESSONS), "#/step/mine/7/step/1");
  const [, params] = traceRequest({ kind: "mine", id: 7 }, { lr: 0.1, loss: "mse", label: "" }, { pixels: new Uint8Array(784), width: 28, height: 28, label: 4 });
  assert.equal(params.label, 4);
  assert.deepEqual(parseArgs(["train", "weight-height"], LESSONS), { source: null, step: null, train: "weight-height" });
});

test("the form shows the loss a lesson really uses, and the chosen one for digits", () => {
  const lessons = [{ name: "neuron", loss: "mse" }, { name: "mnist-784-10-10", loss: "cross_entropy" }];
  assert.equal(formLoss("lesson:neuron", lessons, "cross_entropy"), "mse");
  assert.equal(formLoss("lesson:mnist-784-10-10", lessons, "mse"), "cross_entropy");
  assert.equal(formLoss("digit", lessons, "mse"), "mse");
});
