import assert from "node:assert/strict";
import { test } from "node:test";
import { modelRows } from "../../web/js/models.js";

test("a model is described by its layers, parameter count, loss in words and training", () => {
  const model = {
    sizes: [784, 16, 10], activations: ["relu", "softmax"], loss: "mse", dtype: "float32", test_accuracy: null,
    training: { optimizer: "adam", lr: 0.003, batch_size: 64, epochs: 1, augment: false },
  };
  const rows = Object.fromEntries(modelRows(model, { mse: "mean squared error" }));
  assert.equal(rows.Layers, "784 → 16 → 10");
  assert.equal(rows.Parameters, (784 * 16 + 16 + 16 * 10 + 10).toLocaleString("en-GB"));
  assert.equal(rows.Loss, "mean squared error");
  assert.match(rows["Held-out accuracy"], /not measured/);
  assert.equal(rows["Trained with"], "adam, learning rate 0.003, batches of 64, 1 epoch");
});
