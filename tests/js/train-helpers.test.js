import assert from "node:assert/strict";
import { test } from "node:test";
import {
  accSummaryText, confirmText, formValue, lossRows, lossSummaryText, matchRecipe, needsConfirm, newHistory, progressText,
  recentSpeed, recipeFormValues, recordProgress, runCaption, runFormValues, runStateText, sample, sentence, suggestionText,
  thin, timeLeftText, trainingSettings,
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

test("progress is recorded as losses, a smoothed line and pycore's accuracy per epoch", () => {
  const h = newHistory();
  recordProgress(h, { step: 2, epoch: 0, losses: [2, 1], train_accuracy: 0.5, test_accuracy: null, epochs: [] }, 10);
  const epoch = { epoch: 1, step: 3, loss: 1.1, train_accuracy: 0.7, test_accuracy: 0.9 };
  recordProgress(h, { step: 3, epoch: 1, losses: [0.5], train_accuracy: 1, test_accuracy: 0.9, examples_per_second: 100, epochs: [epoch] }, 10);
  assert.deepEqual(h.losses.map((p) => [p.x, p.y]), [[1, 2], [2, 1], [3, 0.5]]);
  // Bias-corrected: the first smoothed value is the first loss, the next a weighted mean of both.
  assert.equal(h.smooth[0].y, 2);
  assert.ok(Math.abs(h.smooth[1].y - (0.09 * 2 + 0.1 * 1) / 0.19) < 1e-12);
  // The epoch's training accuracy is pycore's own count (the same however the run was sliced).
  assert.deepEqual(h.epochs, [{ epoch: 1, train: 0.7, test: 0.9 }]);
  assert.equal(h.speed, 100);
  assert.match(lossSummaryText(h), /^Batch 3: loss 0\.5000, smoothed .*; first batch 2\.000\.$/);
  assert.equal(accSummaryText(h), "Epoch 1: 70.0% of training digits and 90.0% of held-out digits right.");
  assert.equal(lossRows(h).length, 3);
  const run = { state: "running", step: 3, epoch: 1, totalSteps: 10, settings: { epochs: 2, batch_size: 10 } };
  // No wall-clock times were given: no time left is guessed.
  assert.equal(progressText(run, h), "Batch 3 of 10 · epoch 1 of 2 · 100 examples/s · held-out accuracy 90.0%.");
});

test("a smoothed curve starts from its own run's losses, whatever the run before ended at", () => {
  const before = newHistory();
  recordProgress(before, { step: 3, epoch: 0, losses: [0.4, 0.37, 0.36] });
  const h = newHistory();
  recordProgress(h, { step: 2, epoch: 0, losses: [0.0001, 0.0001] });
  assert.ok(h.smooth.every((p) => Math.abs(p.y - 0.0001) < 1e-15));
});

test("the time left rests on the last seconds' wall-clock speed and is hidden or capped when unreliable", () => {
  const run = { state: "running", step: 0, totalSteps: 1000, settings: { batch_size: 100 } };
  const h = newHistory();
  recordProgress(h, { step: 10, epoch: 0, losses: new Array(10).fill(1) }, 100, 0);
  recordProgress(h, { step: 20, epoch: 0, losses: new Array(10).fill(1) }, 100, 500);
  assert.equal(timeLeftText({ ...run, step: 20 }, h), "", "half a second says nothing yet");
  for (let t = 1000, step = 30; t <= 3000; t += 500, step += 10) recordProgress(h, { step, epoch: 0, losses: new Array(10).fill(1) }, 100, t);
  // 10 batches of 100 every 0.5 s: 2,000 examples/s; 930 batches left = 93,000 examples, 47 s.
  assert.equal(recentSpeed(h), 2000);
  assert.equal(timeLeftText({ ...run, step: 70 }, h), "about 47 s left");
  assert.equal(timeLeftText({ ...run, step: 70, state: "paused" }, h), "");
  // A pause (a long silence) starts the measurement again rather than dragging the speed down.
  recordProgress(h, { step: 80, epoch: 0, losses: new Array(10).fill(1) }, 100, 60_000);
  assert.equal(recentSpeed(h), null);
  // A run that would take longer than an hour says so instead of a number of hours.
  const slow = newHistory();
  for (let t = 0; t <= 3000; t += 500) recordProgress(slow, { step: 1, epoch: 0, losses: [1] }, 1, t);
  assert.equal(timeLeftText({ state: "running", step: 1, totalSteps: 100_000, settings: { batch_size: 1 } }, slow), "more than an hour left");
});

test("a fresh run asks before it replaces a trained network, not an untrained one or mid-run", () => {
  const model = { provenance: "pretrained", sizes: [784, 128, 10], test_accuracy: 0.979 };
  for (const provenance of ["pretrained", "trained", "finetuned", "uploaded", "restored"]) {
    assert.equal(needsConfirm({ ...model, provenance }, "idle"), true, provenance);
  }
  assert.equal(needsConfirm({ ...model, provenance: "untrained" }, "stopped"), false);
  assert.equal(needsConfirm({ ...model, provenance: "training" }, "paused"), false);
  assert.match(confirmText(model), /replaces the pretrained network \(784 → 128 → 10, 97\.9% of held-out digits right\)/);
  assert.match(confirmText({ ...model, provenance: "uploaded" }), /download it in Models first/);
});

test("a run's settings fill the form, and a suggestion reads as words", () => {
  assert.deepEqual(runFormValues(CATALOG, { hidden: [16], lr: 0.003, optimizer: "adam", ema: 0.5 }), { hidden: "16", lr: "0.003", optimizer: "adam" });
  assert.equal(suggestionText(CATALOG, { lr: 0.001 }), "learning rate 0.001");
  assert.equal(suggestionText(CATALOG, { optimizer: "sgd", lr: 0.1 }), "optimiser SGD and learning rate 0.1");
});

test("the charts' caption names the run, its kind, its network and its settings", () => {
  assert.match(runCaption({ id: 0 }, null), /No run yet/);
  const settings = { optimizer: "adam", lr: 0.003, batch_size: 64, epochs: 1, seed: 0 };
  const names = { optimizer: { adam: "Adam" } };
  assert.equal(runCaption({ id: 2, kind: "train", settings }, [784, 16, 10], names),
    "These charts show run 2: training a new network (784 → 16 → 10) from scratch; Adam, learning rate 0.003, batches of 64, 1 epoch, seed 0.");
  assert.match(runCaption({ id: 3, kind: "finetune", settings, base: { provenance: "pretrained" } }, [784, 128, 10], names),
    /^These charts show run 3: fine-tuning the pretrained network \(784 → 128 → 10\) on your digits/);
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
  assert.match(runStateText("idle", [784, 16, 10], { provenance: "restored" }), /restored from this browser \(784 → 16 → 10\)/);
  assert.equal(runStateText("done", [784, 16, 10], { verdict: { learned: false } }), "Finished, but the network did not learn (784 → 16 → 10).");
});
