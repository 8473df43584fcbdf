// Numbers people can read: the one place the page turns a float into text or LaTeX.
//
// By default a number has 4 significant figures (0.41000000000000003 -> "0.41", 0.9990889488 ->
// "0.9991"); `exact` gives the shortest text that reads back as the same float (what Python's
// repr prints), for hover, focus and the "full precision" toggle. Neither ever writes "-0".
// A group of numbers shown together (one equation, one table row) shares one notation: fixed
// when every number fits between 0.001 and 1,000,000, else scientific for all of them. Whole
// numbers below a million stay whole in both notations (the 0 and 1 of a target are exact).
// Pure functions, no DOM: tested with node --test (tests/js/numfmt.test.mjs).

export const DIGITS = 4;
const FIXED_MIN = 1e-3;
const FIXED_MAX = 1e6;

/** value rounded to `digits` significant figures, with -0 made 0. */
export function roundSig(value, digits = DIGITS) {
  if (!Number.isFinite(value) || value === 0) return value === 0 ? 0 : value;
  const r = Number(value.toPrecision(digits));
  return r === 0 ? 0 : r;
}

function isWhole(value) {
  return Number.isInteger(value) && Math.abs(value) < FIXED_MAX;
}

/** "fixed" or "sci": the one notation for a group of numbers (as rounded for display). */
export function notationFor(values, digits = DIGITS) {
  for (const v of values) {
    if (!Number.isFinite(v) || v === 0 || isWhole(v)) continue;
    const a = Math.abs(roundSig(v, digits));
    if (a < FIXED_MIN || a >= FIXED_MAX) return "sci";
  }
  return "fixed";
}

function special(value) {
  if (Number.isNaN(value)) return "NaN";
  return value > 0 ? "∞" : "-∞";
}

/** The shortest decimal that reads back as this float (float32: as NumPy prints a float32). */
function shortestDigits(value, dtype, sci) {
  if (dtype === "float32") {
    const target = Math.fround(value);
    for (let p = 1; p <= 9; p++) {
      const text = sci ? value.toExponential(p - 1) : value.toPrecision(p);
      if (Math.fround(Number(text)) === target) return sci ? text : String(Number(text));
    }
  }
  return sci ? value.toExponential() : String(value);
}

/** Mantissa and exponent of an "e" text: "1.5e-7" -> ["1.5", -7]; trailing zeros dropped. */
function splitExp(text) {
  const [m, e] = text.split("e");
  const mantissa = m.includes(".") ? m.replace(/0+$/, "").replace(/\.$/, "") : m;
  return [mantissa, Number(e)];
}

/**
 * The number as text. opts: digits (significant figures, default 4), notation ("fixed", "sci"
 * or null for the number's own), full (the exact float instead), dtype ("float64"/"float32").
 */
export function fmt(value, { digits = DIGITS, notation = null, full = false, dtype = "float64" } = {}) {
  if (!Number.isFinite(value)) return special(value);
  if (value === 0) return "0";
  if (isWhole(value)) return String(value);
  const how = notation || notationFor([value], digits);
  if (full) {
    const text = shortestDigits(value, dtype, how === "sci");
    if (how !== "sci") return text.includes("e") ? String(Number(text)) : text;
    const [m, e] = splitExp(text);
    return `${m}e${e}`;
  }
  if (how === "sci") {
    const [m, e] = splitExp(value.toExponential(digits - 1));
    return `${m}e${e}`;
  }
  return String(roundSig(value, digits));
}

/** The exact float as text (never "-0"). */
export function exact(value, dtype = "float64") {
  return fmt(value, { full: true, dtype, notation: Number.isFinite(value) && value !== 0 && (Math.abs(value) < 1e-6 || Math.abs(value) >= 1e21) ? "sci" : "fixed" });
}

/** Several numbers in one notation: an array of texts. */
export function fmtAll(values, opts = {}) {
  const list = Array.from(values);
  const notation = opts.notation || notationFor(list, opts.digits);
  return list.map((v) => fmt(v, { ...opts, notation }));
}

/** The number as LaTeX: scientific as m \times 10^{e}; negatives braced so "- -1" reads well. */
export function tex(value, opts = {}) {
  const text = fmt(value, opts);
  if (!Number.isFinite(value)) return text === "∞" ? "\\infty" : text === "-∞" ? "{-\\infty}" : "\\text{NaN}";
  const at = text.indexOf("e");
  const body = at < 0 ? text : `${text.slice(0, at)} \\times 10^{${text.slice(at + 1)}}`;
  return value < 0 ? `{${body}}` : body;
}

/**
 * A formatter for one group (an equation): call it once per number while collecting, then
 * `group.seal()` fixes the notation; after that `group.tex(v)` and `group.text(v)` share it.
 */
export function numberGroup(opts = {}) {
  const seen = [];
  let notation = opts.notation || null;
  return {
    collect(v) {
      seen.push(v);
      return "";
    },
    seal() {
      notation = notation || notationFor(seen, opts.digits);
      return notation;
    },
    get notation() {
      return notation;
    },
    tex: (v) => tex(v, { ...opts, notation }),
    text: (v) => fmt(v, { ...opts, notation }),
  };
}
