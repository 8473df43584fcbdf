import assert from "node:assert/strict";
import { test } from "node:test";
import { cellIndices, largestMistakeCount, weightsGrid } from "../../web/js/inspect-helpers.js";

test("the largest mistake count ignores the diagonal", () => {
  const counts = new Array(100).fill(0);
  counts[0] = 500;
  counts[12] = 7;
  counts[98] = 3;
  assert.equal(largestMistakeCount(counts), 7);
});

test("a cell's digits are those with that label and that prediction", () => {
  assert.deepEqual(cellIndices([3, 5, 3, 3], [5, 5, 5, 3], 3, 5), [0, 2]);
});

test("weight tiles are laid out a little wider than square, every unit placed", () => {
  assert.deepEqual(weightsGrid(10), { columns: 4, rows: 3 });
  assert.deepEqual(weightsGrid(2), { columns: 2, rows: 1 });
  const { columns, rows } = weightsGrid(1024);
  assert.ok(columns * rows >= 1024 && columns >= rows);
});
