// Number formatting and tensor names of the step-through.
import { test } from "node:test";
import assert from "node:assert/strict";
import { columns, full, maxAbs, rows, shapeText, short, tensorName, texMatrix, texNum } from "../../web/js/step-format.js";

test("full prints float64 as Python's repr and float32 as NumPy prints it", () => {
  assert.equal(full(0.7216325609518421), "0.7216325609518421");
  assert.equal(full(Math.fround(0.1), "float32"), "0.1");
  assert.equal(full(Math.fround(0.1)), "0.10000000149011612");
  assert.equal(full(Number.NaN), "NaN");
});

test("short keeps 4 significant digits and switches to exponents for tiny and huge values", () => {
  assert.equal(short(0.123456), "0.1235");
  assert.equal(short(0), "0");
  assert.equal(short(0.00001234), "1.234e-5");
  assert.equal(short(12345678), "1.235e7");
});

test("shapes, rows, columns and the largest magnitude", () => {
  assert.equal(shapeText([10, 784]), "10×784");
  assert.equal(shapeText([]), "scalar");
  const t = { shape: [2, 3], data: Float64Array.from([1, 2, 3, 4, 5, 6]) };
  assert.deepEqual(rows(t), [[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual(columns(t), [[1, 4], [2, 5], [3, 6]]);
  assert.deepEqual(rows({ shape: [3], data: Float64Array.from([7, 8, 9]) }), [[7, 8, 9]]);
  assert.equal(maxAbs(Float64Array.from([1, -5, 3])), 5);
});

test("tensor names follow the maths: layer k of the trace's 0-based index", () => {
  assert.equal(tensorName("forward.0.W", 2).text, "W1");
  assert.equal(tensorName("forward.1.a", 2).about, "the output");
  assert.equal(tensorName("forward.1.x", 2).text, "a1");
  assert.equal(tensorName("backward.0.dz", 2).text, "dL/dz1");
  assert.equal(tensorName("update.1.b", 2).text, "b2 new");
  assert.equal(tensorName("loss_after", 2).text, "L after");
});

test("LaTeX numbers put negatives in braces; matrices are bmatrix rows", () => {
  assert.equal(texNum(-1.5, "float64"), "{-1.5}");
  assert.equal(texNum(2, "float64"), "2");
  assert.equal(texMatrix([[1, -2], [3, 4]], "float64"), "\\begin{bmatrix} 1 & {-2} \\\\ 3 & 4 \\end{bmatrix}");
});
