import assert from "node:assert/strict";
import { test } from "node:test";
import { MAX_STORED_BYTES, isModelKey, modelKey, saveDecision, saveLimitMs } from "../../web/js/persist-helpers.js";

const bytes = (n) => ({ length: n });
const snapshot = (model, size = 1000, isDefault = false) => ({ bytes: bytes(size), default: isDefault, model });

test("the pretrained network is never stored: saving it forgets ours", () => {
  assert.deepEqual(saveDecision(snapshot({ steps_trained: null, finite: true }, 1000, true)), { action: "forget" });
});

test("an unusable network never replaces the stored one", () => {
  // A run that failed before its first completed batch, and one whose weights are not numbers.
  assert.equal(saveDecision(snapshot({ steps_trained: 0, finite: true })).action, "skip");
  assert.equal(saveDecision(snapshot({ steps_trained: 12, finite: false })).action, "skip");
  // Without pycore's count, the page's count of the run's batches decides.
  assert.equal(saveDecision(snapshot({}), { runSteps: 0 }).action, "skip");
  assert.equal(saveDecision(snapshot({ steps_trained: 1, finite: true })).action, "save");
  // An uploaded or restored network has no run: it is saved.
  assert.equal(saveDecision(snapshot({ steps_trained: null, finite: true })).action, "save");
});

test("a model too large to store says so, with its size", () => {
  const d = saveDecision(snapshot({ steps_trained: null, finite: true }, 137 * 1024 * 1024));
  assert.equal(d.action, "too-large");
  assert.match(d.why, /137 MB, more than the 100 MB/);
  assert.equal(saveDecision(snapshot({ steps_trained: 5 }, 2000), { maxBytes: 1000 }).action, "too-large");
  assert.equal(MAX_STORED_BYTES, 100 * 1024 * 1024);
});

test("every save is written under a key of its own, with a time limit that grows with its size", () => {
  assert.equal(modelKey(1700000000000), "model@1700000000000");
  assert.ok(isModelKey(modelKey(1)) && !isModelKey("model-current") && !isModelKey("settings"));
  assert.equal(saveLimitMs(0), 15_000);
  assert.ok(saveLimitMs(100 * 1024 * 1024) > saveLimitMs(1024 * 1024));
});
