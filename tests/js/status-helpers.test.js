import assert from "node:assert/strict";
import { test } from "node:test";
import { statusAnnouncement, statusKind, statusText } from "../../web/js/status-helpers.js";

const PRETRAINED = { provenance: "pretrained", sizes: [784, 128, 10], test_accuracy: 0.9785 };

test("the status says what the network is, its layers and its measured held-out accuracy", () => {
  assert.equal(statusText(PRETRAINED, { state: "idle" }), "Network in use: pretrained · 784 → 128 → 10 · 97.9% of held-out digits right");
  assert.equal(statusText({ ...PRETRAINED, provenance: "uploaded", test_accuracy: null }, { state: "idle" }),
    "Network in use: uploaded · 784 → 128 → 10 · held-out accuracy not measured yet");
  assert.match(statusText({ ...PRETRAINED, provenance: "restored" }, { state: "idle" }), /restored from this browser/);
  assert.match(statusText({ ...PRETRAINED, provenance: "finetuned" }, { state: "done" }), /fine-tuned on your digits/);
  assert.equal(statusText(null), "Network in use: loading…");
});

test("while training, the batch is in the line but not in what is announced", () => {
  const model = { provenance: "training", sizes: [784, 16, 10], test_accuracy: null };
  const run = { kind: "train", state: "running", step: 12, totalSteps: 125 };
  assert.equal(statusText(model, run), "Network in use: training — batch 12 of 125 · 784 → 16 → 10 · held-out accuracy after the first epoch");
  assert.equal(statusAnnouncement(model, run), "Network in use: training, 784 → 16 → 10.");
  assert.equal(statusAnnouncement(model, { ...run, step: 13 }), statusAnnouncement(model, run));
  assert.match(statusText(model, { ...run, kind: "finetune" }), /fine-tuning — batch 12 of 125/);
});

test("a run that did not learn is said so until another network is in use", () => {
  const model = { provenance: "trained", sizes: [784, 16, 10], test_accuracy: 0.096 };
  const run = { kind: "train", state: "done", verdict: { learned: false } };
  assert.equal(statusKind(model, run), "did-not-learn");
  assert.match(statusText(model, run), /trained here — did not learn · 784 → 16 → 10 · 9\.6%/);
  assert.equal(statusKind({ ...model, provenance: "uploaded" }, { ...run, state: "idle" }), "uploaded");
  assert.equal(statusKind(model, { ...run, verdict: { learned: true } }), "trained");
});
