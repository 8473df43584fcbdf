// Draw's feature maps and Inspect's filters as pixels (web/js/featuremaps-helpers.js).
import assert from "node:assert/strict";
import { test } from "node:test";
import { filterColumns, filtersImage, filtersText, hasConv, largest, mapToRgba } from "../../web/js/featuremaps-helpers.js";

test("only a model with a convolution is a CNN", () => {
  assert.equal(hasConv({ layers: [{ kind: "conv2d" }, { kind: "dense" }] }), true);
  assert.equal(hasConv({ layers: [{ kind: "dense" }] }), false);
  assert.equal(hasConv(null), false);
});

test("the scale is the largest magnitude of the range, never 0", () => {
  assert.equal(largest(Float32Array.from([1, -3, 2])), 3);
  assert.equal(largest(Float32Array.from([9, 1, -2, 0]), 1, 3), 2);
  assert.equal(largest(new Float32Array(4)), 1);
});

test("a map's values become purple, white and orange, opaque", () => {
  const maps = Float32Array.from([0, 0, -2, 0, 2, 1]); // two maps of 1x3; map 1 is [0, 2, 1]
  const rgba = mapToRgba(maps, 1, 1, 3, 2, new Uint8ClampedArray(12));
  assert.deepEqual(Array.from(rgba), [247, 247, 247, 255, 230, 97, 1, 255, 239, 172, 124, 255]);
});

test("filters are tiles of k x k cells, each filter on its own scale", () => {
  assert.equal(filterColumns(8), 4);
  assert.equal(filterColumns(1), 1);
  // Two 1x1 filters, 2 px a cell, 1 px apart: [[a][gap][b]]; both are their own maximum.
  const img = filtersImage(Float32Array.from([0.5, -4]), [2, 1, 1, 1], 2, 1);
  assert.deepEqual([img.width, img.height, img.columns], [5, 2, 2]);
  assert.deepEqual(Array.from(img.rgba.subarray(0, 4)), [230, 97, 1, 255]);
  assert.deepEqual(Array.from(img.rgba.subarray(8, 12)), [255, 255, 255, 255]);
  assert.deepEqual(Array.from(img.rgba.subarray(12, 16)), [94, 60, 153, 255]);
  assert.match(filtersText([8, 1, 3, 3]), /^K1: 8 filters of 3×3 \(1 input channel\)/);
});
