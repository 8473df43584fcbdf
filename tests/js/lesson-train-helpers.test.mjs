// Pure helpers of a lesson's training in the page (web/js/lesson-train-helpers.js).
import assert from "node:assert/strict";
import { test } from "node:test";
import { curvePath, epochSamples, inputFields, isTrainable, milestones, readInputs, readSettings, reportEvery } from "../../web/js/lesson-train-helpers.js";

test("the lessons that train, from the catalogue or the default list", () => {
  assert.equal(isTrainable({ name: "weight-height" }), true);
  assert.equal(isTrainable({ name: "mse" }), false);
  assert.equal(isTrainable({ name: "mse", trainable: true }), true);
  assert.equal(isTrainable(null), false);
});

test("weight and height are typed in pounds and inches and given to the network shifted", () => {
  const fields = inputFields("weight-height");
  assert.deepEqual(readInputs(fields, ["128", "63"]), { value: [-7, -3] });
  assert.deepEqual(readInputs(fields, ["155", "68"]), { value: [20, 2] });
  assert.equal(readInputs(fields, ["", "63"]).field, 0);
  assert.match(readInputs(fields, ["128", "tall"]).error, /Height/);
});

test("settings: blank is the lesson's own, bad values are named", () => {
  assert.deepEqual(readSettings({ epochs: "", lr: "", seed: "" }), { value: {} });
  assert.deepEqual(readSettings({ epochs: "200", lr: "0.5", seed: "3" }), { value: { epochs: 200, lr: 0.5, seed: 3 } });
  assert.equal(readSettings({ epochs: "1.5" }).field, "epochs");
  assert.equal(readSettings({ lr: "-1" }).field, "lr");
  assert.equal(readSettings({ seed: "x" }).field, "seed");
});

test("the CLI's epochs, a curve of at most ~500 points, and the samples of an epoch", () => {
  assert.deepEqual(milestones(1000), [1, 10, 100, 500, 1000]);
  assert.deepEqual(milestones(200), [1, 10, 100, 200]);
  assert.equal(reportEvery(1000), 2);
  assert.equal(reportEvery(100), 1);
  assert.equal(epochSamples("network").length, 4);
  assert.deepEqual(epochSamples("weight-height", { samples: ["Alice", "Bob"] }), ["Alice", "Bob"]);
});

test("the loss curve falls on a log scale inside its box", () => {
  const { d, lo, hi } = curvePath([1, 2, 3], [1, 0.1, 0.01], 3, { width: 100, height: 50, pad: 5 });
  assert.equal(d, "M5.0,5.0L50.0,25.0L95.0,45.0");
  assert.equal(hi, 1);
  assert.ok(Math.abs(lo - 0.01) < 1e-12);
  assert.equal(curvePath([], [], 1, { width: 1, height: 1 }).d, "");
});
