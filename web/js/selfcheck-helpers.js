// Pure helpers of the self-check (no DOM, so that `node --test` imports them): numbers in
// scientific notation, the table captions and the summary of a pycore.selfcheck result.

const SUPERSCRIPT = { "-": "⁻", "+": "", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };

/** 2.4e-2 as {mantissa: "2.4", power: "−2"} (a true minus sign), for "2.4×10⁻²" with <sup>. */
export function sciParts(x) {
  if (x === 0) return null;
  const [mantissa, exponent] = x.toExponential(1).split("e");
  const power = Number(exponent);
  return { mantissa, power: power < 0 ? `−${-power}` : String(power) };
}

/** 1×10⁻⁶ as plain text (Unicode superscripts), for captions. */
export function superscript(x) {
  const [mantissa, exponent] = x.toExponential(0).split("e");
  return `${mantissa}×10${[...exponent].map((c) => SUPERSCRIPT[c]).join("")}`;
}

export function shapeText(shape) {
  return shape.join("×");
}

/** "all 7,840" or "24 of 802,816": how many entries of a tensor were checked. */
export function entriesText(g) {
  const of = g.of.toLocaleString("en-GB");
  return g.entries === g.of ? `all ${of}` : `${g.entries} of ${of}`;
}

export function gradientsCaption(r) {
  const samples = r.samples.map((i) => `#${i}`).join(", ");
  return `Backprop against central differences on held-out digits ${samples}; a tensor passes when its error is below ${superscript(r.tolerance)}`;
}

/** One sentence: passed (with what and how long), or which checks failed. */
export function summaryText(r) {
  if (r.passed) {
    return `Passed: all ${r.gradients.length} parameter tensors of ${r.network} agree with finite differences, and all ${r.golden.length} lesson values match. (${r.seconds.toFixed(1)} s)`;
  }
  const failedGrads = r.gradients.filter((g) => !g.passed).map((g) => g.name);
  const failedGolden = r.golden.filter((g) => !g.passed).length;
  const parts = [
    failedGrads.length ? `backprop disagrees with finite differences for ${failedGrads.join(", ")}` : "",
    failedGolden ? `${failedGolden} lesson value(s) differ` : "",
  ];
  return `FAILED: ${parts.filter(Boolean).join("; ")}.`;
}

// Whether the page was opened with the test hooks on (?testhooks=1).
export { testHooksOn } from "./hooks-flag.js";

/** The self_check arguments for a route: #/check/corrupt corrupts one gradient, with the hooks on. */
export function checkParams(corrupt) {
  return corrupt ? { corrupt: "layers.0.W" } : {};
}
