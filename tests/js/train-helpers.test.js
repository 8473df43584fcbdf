import assert from "node:assert/strict";
import { test } from "node:test";
import {
  accSummaryText, formValue, lossRows, lossSummaryText, matchRecipe, newHistory, progressText, recipeFormValues,
  recordProgress, runStateText, sample, sentence, thin, trainingSettings,
} from "../../web/js/train-helpers.js";
import { CATALOG } from "./catalog.js";

test("form values are text for fields and booleans for checkboxes", () => {
  assert.equal(formValue({ kind: "int_list" }, [1024, 256]), "1024, 256");
  assert.equal(formValue({ kind: "float" }, 1.0), "1");
  assert.equal(formValue({ kind: "bool" }, 1), true);
  assert.equal(formValue({ kind: "int" }, null), "");
});

test("a recipe's form values leave out the settings the form does not show", () => {
  assert.deepEqual(recipeFormValues(CATALOG, "default"), { hidden: "1024, 256", optimizer: "adam", lr: "0.002", augment: true });
});

test("values are matched to their recipe, and an edited field makes them custom", () => {
  const values = recipeFormValues(CATALOG, "small");
  assert.equal(matchRecipe(CATALOG, values), "small");
  assert.equal(matchRecipe(CATALOG, { ...values, lr: " 0.1 " }), "small");
  assert.equal(matchRecipe(CATALOG, { ...values, hidden: "64" }), "custom");
});

test("a run starts with the recipe's hidden settings only while the form matches it", () => {
  const strong = { ...recipeFormValues(CATALOG, "default"), recipe: "default" };
  assert.equal(trainingSettings(CATALOG, strong).ema, 0.999);
  assert.equal(trainingSettings(CATALOG, strong).hidden, "1024, 256");
  const custom = { ...strong, lr: " fast ", recipe: "custom" };
  assert.deepEqual(trainingSettings(CATALOG, custom), { hidden: "1024, 256", optimizer: "adam", lr: "fast", augment: true });
});

test("a message becomes a sentence", () => {
  assert.equal(sentence("must be a number"), "Must be a number.");
  assert.equal(sentence("Done!"), "Done!");
  assert.equal(sentence(""), "");
});

test("progress is recorded as losses, a smoothed line and accuracy per epoch", () => {
  const h = newHistory();
  recordProgress(h, { step: 2, epoch: 0, losses: [2, 1], train_accuracy: 0.5, test_accuracy: null }, 10);
  recordProgress(h, { step: 3, epoch: 1, losses: [0.5], train_accuracy: 1, test_accuracy: 0.9, examples_per_second: 100 }, 10);
  assert.deepEqual(h.losses.map((p) => [p.x, p.y]), [[1, 2], [2, 1], [3, 0.5]]);
  assert.equal(h.smooth[0].y, 2);
  assert.ok(Math.abs(h.smooth[1].y - 1.9) < 1e-12);
  // Epoch 1's training accuracy weighs each slice by its examples: (0.5*20 + 1*10) / 30.
  assert.deepEqual(h.epochs, [{ epoch: 1, train: 20 / 30, test: 0.9 }]);
  assert.equal(h.speed, 100);
  assert.match(lossSummaryText(h), /^Batch 3: loss 0\.5000, smoothed .*; first batch 2\.000\.$/);
  assert.equal(accSummaryText(h), "Epoch 1: 66.7% of training digits and 90.0% of held-out digits right.");
  assert.equal(lossRows(h).length, 3);
  const run = { state: "running", step: 3, epoch: 1, totalSteps: 10, settings: { epochs: 2, batch_size: 10 } };
  assert.equal(progressText(run, h), "Batch 3 of 10 · epoch 1 of 2 · 100 examples/s · about 1 s left · held-out accuracy 90.0%.");
});

test("thinning keeps the last point and sampling spans first to last", () => {
  const points = Array.from({ length: 1001 }, (_, i) => i);
  const thinned = thin(points, 600);
  assert.ok(thinned.length <= 601);
  assert.equal(thinned[thinned.length - 1], 1000);
  assert.deepEqual(sample([1, 2, 3, 4, 5], 3), [1, 3, 5]);
  assert.deepEqual(sample([1, 2], 3), [1, 2]);
});

test("the run's state is said in words, with the network when known", () => {
  assert.equal(runStateText("running", [784, 16, 10]), "Training (784 → 16 → 10)…");
  assert.match(runStateText("idle", null), /pretrained/);
});
