// My digits' pure helpers: counting, packing, import de-duplication, form values and verdicts.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  TARGET, counts, finetuneHelp, finetuneKwargs, finishedText, freshDigits, hasEnded, heldOutText, imageToPixels,
  importedText, packDigits, plural, points, progressText, promptText, readEpochs, readSeed, resultRows, thumbCaption,
  tuningWhat, verdictText,
} from "../../web/js/collection-helpers.js";

const digit = (label, fill) => ({ id: `${label}-${fill}`, label, pixels: new Uint8Array(784).fill(fill) });

test("plural and percentage points", () => {
  assert.equal(plural(1, "digit"), "1 digit");
  assert.equal(plural(0, "digit"), "0 digits");
  assert.equal(points(0.5, 0.53), "+3.0 points");
  assert.equal(points(0.5, 0.45), "−5.0 points");
  assert.equal(points(null, 0.4), "");
});

test("the prompt asks for the digits with the fewest samples until each has the target", () => {
  assert.match(promptText(new Array(10).fill(0)), /^Start with any digit/);
  const one = new Array(10).fill(1);
  assert.match(promptText(one), /one of 0, 1, 2, 3, 4, 5, 6, 7, 8, 9: they have the fewest samples \(1\)/);
  const c = new Array(10).fill(TARGET);
  c[7] = 2;
  assert.match(promptText(c), /^Next, draw a 7: it has the fewest samples \(2\)/);
  assert.match(promptText(new Array(10).fill(TARGET)), /^Every digit has at least 5 samples/);
  assert.deepEqual(counts([digit(3, 1), digit(3, 2), digit(0, 1)]).slice(0, 4), [1, 0, 0, 2]);
});

test("thumbnail captions say how the network read a digit and whether it was held out", () => {
  assert.equal(thumbCaption(3, undefined, false), "");
  assert.equal(thumbCaption(3, 3, false), "read right");
  assert.equal(thumbCaption(3, 8, true), "read as 8 · held out");
});

test("packing puts each digit's 784 pixels in a row, and images become bytes", () => {
  const { pixels, labels } = packDigits([digit(4, 10), digit(9, 20)]);
  assert.equal(pixels.length, 2 * 784);
  assert.deepEqual([pixels[0], pixels[783], pixels[784]], [10, 10, 20]);
  assert.deepEqual(Array.from(labels), [4, 9]);
  const image = new Float32Array(784);
  image[0] = 1;
  image[1] = 0.5;
  image[2] = 1.2;
  assert.deepEqual(Array.from(imageToPixels(image).slice(0, 4)), [255, 128, 255, 0]);
});

test("importing skips digits the collection already holds and repeats within the file", () => {
  const have = [digit(1, 5)];
  const file = { count: 3, labels: [1, 2, 2], pixels: new Uint8Array(3 * 784).fill(5) };
  const fresh = freshDigits(have, file);
  assert.deepEqual(fresh.map((d) => d.label), [2]);
  assert.equal(importedText("a.npz", 1, 3), "Imported 1 digit from a.npz (2 you already had were skipped).");
  assert.equal(importedText("a.npz", 3, 3), "Imported 3 digits from a.npz.");
});

test("seed and epochs are checked, and the form's choices override the catalogue's defaults", () => {
  assert.deepEqual(readSeed(" 42 "), { value: 42 });
  assert.match(readSeed("-1").error, /0 to 4294967295/);
  assert.match(readSeed("4294967296").error, /0 to 4294967295/);
  assert.deepEqual(readEpochs("6"), { value: 6 });
  for (const bad of ["0", "51", "2.5", "x"]) assert.match(readEpochs(bad).error, /1 to 50/, bad);
  const defaults = { mnist_share: 0.5, epochs: 5, seed: 0, holdout: 0.2, lr: 0.0005, batch_size: 16 };
  const kwargs = finetuneKwargs({ pixels: 1, labels: 2 }, defaults, { mixPercent: "30", epochs: 6, seed: 9 });
  assert.deepEqual(kwargs, { pixels: 1, labels: 2, mnist_share: 0.3, epochs: 6, seed: 9, holdout: 0.2, lr: 0.0005, batch_size: 16 });
  assert.match(finetuneHelp(defaults), /learning rate 0.0005, batches of 16\). About one in five/);
  assert.equal(heldOutText(0.25), "About one in four of your drawings of each digit is held out");
  assert.equal(heldOutText(0), "None of your drawings is held out");
});

test("progress and end-of-run texts", () => {
  assert.equal(tuningWhat({ learn: 1, mnist: 96, held_out: 2 }), "1 digit of yours and 96 MNIST digits; 2 of yours held out");
  assert.equal(progressText({ step: 3, total_steps: 10, epoch: 1, loss: 0.12345, test_accuracy: 0.9 }), "Batch 3 of 10 · epoch 1 · loss 0.123 · MNIST held-out 90.0%.");
  assert.equal(progressText({ step: 3, total_steps: 10, epoch: 1, loss: null }), "Batch 3 of 10 · epoch 1.");
  assert.equal(hasEnded("done") && hasEnded("idle") && !hasEnded("running") && !hasEnded("paused"), true);
  assert.equal(finishedText("done", { step: 10 }, "x"), "Fine-tuned for 10 batches on x.");
  assert.equal(finishedText("stopped", { step: 4, total_steps: 10 }, "x"), "Fine-tuning stopped after 4 of 10 batches on x.");
});

test("the verdict tells generalising from memorising, and notices forgetting", () => {
  const before = { held_out: 0.5, learned: 0.5, mnist: 0.95 };
  assert.match(verdictText(before, { held_out: 0.7, learned: 0.9, mnist: 0.95 }), /^It generalised/);
  assert.match(verdictText(before, { held_out: 0.5, learned: 0.9, mnist: 0.95 }), /^It memorised/);
  assert.match(verdictText(before, { held_out: 0.5, learned: 0.5, mnist: 0.9 }), /^Nothing changed.*It forgot some MNIST/);
  assert.match(verdictText({ ...before, held_out: null }, { held_out: null, learned: 0.6, mnist: 0.95 }), /^No drawings were held out.*stayed at 95.0%/);
  assert.deepEqual(resultRows(before, before).map((r) => r[3]), ["held", "learned", "mnist"]);
});
