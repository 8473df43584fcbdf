// The number formatter of the page (web/js/numfmt.js): artefacts, -0, rounding, notation.
import assert from "node:assert/strict";
import { test } from "node:test";
import { exact, fmt, fmtAll, notationFor, numberGroup, roundSig, tex } from "../../web/js/numfmt.js";

test("float artefacts disappear at 4 significant figures", () => {
  assert.equal(fmt(0.41000000000000003), "0.41");
  assert.equal(fmt(0.1 + 0.2), "0.3");
  assert.equal(fmt(2.0000000000000004), "2");
  assert.equal(fmt(0.9990889488055994), "0.9991");
  assert.equal(fmt(0.07748843112222988), "0.07749");
});

test("no -0, whether the value is -0 or rounds towards it", () => {
  assert.equal(fmt(-0), "0");
  assert.equal(exact(-0), "0");
  assert.equal(String(roundSig(-0)), "0");
  assert.ok(!Object.is(roundSig(-0), -0));
  assert.equal(fmtAll([-0, 0.5])[0], "0");
  assert.equal(tex(-0), "0");
});

test("rounding keeps 4 significant figures and rounds half away from the digit boundary", () => {
  assert.equal(fmt(123.456), "123.5");
  assert.equal(fmt(-0.0050520001), "-0.005052");
  assert.equal(fmt(0.00099996), "0.001");
  assert.equal(fmt(1.23456, { digits: 2 }), "1.2");
  assert.equal(fmt(99999.5), "100000");
});

test("whole numbers stay whole; tiny and huge numbers are scientific", () => {
  assert.equal(fmt(3), "3");
  assert.equal(fmt(-15), "-15");
  assert.equal(fmt(8.30014e-7), "8.3e-7");
  assert.equal(fmt(-1.23456e-9), "-1.235e-9");
  assert.equal(fmt(999999), "999999");
  assert.equal(fmt(2.5e7), "2.5e7");
  assert.equal(fmt(2.5e7 + 0.5), "2.5e7");
});

test("one notation per group: a tiny number makes the whole group scientific", () => {
  assert.equal(notationFor([0.5, 0.25]), "fixed");
  assert.equal(notationFor([0.5, 1e-7]), "sci");
  assert.equal(notationFor([0, 1, 1e-7]), "sci");
  assert.deepEqual(fmtAll([0.5, 1.5e-7, 1, 0]), ["5e-1", "1.5e-7", "1", "0"]);
  assert.deepEqual(fmtAll([0.5, 0.125]), ["0.5", "0.125"]);
});

test("the exact float reads back as the same number", () => {
  for (const v of [0.41000000000000003, 0.7216325609518421, -0.005052077871, 1e-7, 8.30014e-7, 123456789.123]) {
    assert.equal(Number(exact(v)), v);
    assert.equal(Number(fmt(v, { full: true })), v);
    assert.equal(Number(fmt(v, { full: true, notation: "sci" })), v);
  }
  assert.equal(exact(0.41000000000000003), "0.41000000000000003");
  // float32: the shortest text that reads back as the same float32, as NumPy prints it.
  const f = Math.fround(0.1);
  assert.equal(exact(f, "float32"), "0.1");
  assert.equal(fmt(f, { full: true, dtype: "float32", notation: "sci" }), "1e-1");
});

test("LaTeX: negatives braced, scientific as times ten to the power", () => {
  assert.equal(tex(0.25), "0.25");
  assert.equal(tex(-0.25), "{-0.25}");
  assert.equal(tex(1.5e-7), "1.5 \\times 10^{-7}");
  assert.equal(tex(-1.5e-7), "{-1.5 \\times 10^{-7}}");
  assert.equal(tex(Infinity), "\\infty");
});

test("a number group collects, seals one notation, then formats with it", () => {
  const g = numberGroup();
  for (const v of [0.5, 2e-8]) g.collect(v);
  assert.equal(g.seal(), "sci");
  assert.equal(g.text(0.5), "5e-1");
  assert.equal(g.tex(0.5), "5 \\times 10^{-1}");
  const full = numberGroup({ full: true });
  full.collect(0.41000000000000003);
  full.seal();
  assert.equal(full.text(0.41000000000000003), "0.41000000000000003");
});

test("non-finite values are named, not hidden", () => {
  assert.equal(fmt(NaN), "NaN");
  assert.equal(fmt(Infinity), "∞");
  assert.equal(fmt(-Infinity), "-∞");
});
