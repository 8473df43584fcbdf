// The self-check's texts: scientific notation, captions and the summary.
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkParams, entriesText, gradientsCaption, sciParts, superscript, summaryText, testHooksOn } from "../../web/js/selfcheck-helpers.js";

test("numbers in scientific notation with a true minus sign", () => {
  assert.deepEqual(sciParts(0.0243), { mantissa: "2.4", power: "−2" });
  assert.deepEqual(sciParts(350), { mantissa: "3.5", power: "2" });
  assert.equal(sciParts(0), null);
  assert.equal(superscript(1e-6), "1×10⁻⁶");
  assert.equal(superscript(1e12), "1×10¹²");
});

test("entries checked and the caption", () => {
  assert.equal(entriesText({ entries: 7840, of: 7840 }), "all 7,840");
  assert.equal(entriesText({ entries: 24, of: 802816 }), "24 of 802,816");
  assert.equal(
    gradientsCaption({ samples: [3, 17], tolerance: 1e-6 }),
    "Backprop against central differences on held-out digits #3, #17; a tensor passes when its error is below 1×10⁻⁶",
  );
});

const grads = (...passed) => passed.map((p, i) => ({ name: `layers.${i}.W`, passed: p }));

test("the summary says what passed, or which tensors and lesson values failed", () => {
  const ok = { passed: true, gradients: grads(true, true), golden: [{ passed: true }], network: "784 -> 10 softmax", seconds: 1.234 };
  assert.equal(summaryText(ok), "Passed: all 2 parameter tensors of 784 -> 10 softmax agree with finite differences, and all 1 lesson values match. (1.2 s)");
  const bad = { ...ok, passed: false, gradients: grads(false, true), golden: [{ passed: false }, { passed: true }] };
  assert.equal(summaryText(bad), "FAILED: backprop disagrees with finite differences for layers.0.W; 1 lesson value(s) differ.");
  assert.equal(summaryText({ ...bad, golden: [] }), "FAILED: backprop disagrees with finite differences for layers.0.W.");
});

test("the corrupting test hook needs ?testhooks=1", () => {
  assert.equal(testHooksOn("?testhooks=1"), true);
  assert.equal(testHooksOn("?testhooks=0"), false);
  assert.equal(testHooksOn(""), false);
  assert.deepEqual(checkParams(true), { corrupt: "layers.0.W" });
  assert.deepEqual(checkParams(false), {});
});
